//! What makes a hap's sound: its `s` control resolved to a sample from the
//! bank, an oscillator, a noise or a synthesized drum.

use super::Controls;
use super::drum::DRUMS;
use super::samples::{Sample, SampleBank};

/// What makes the sound.
#[derive(Debug, Clone)]
pub(super) enum Source {
    /// A periodic waveform at the hap's frequency.
    Oscillator(Wave),
    /// Noise of a colour.
    Noise(NoiseColor),
    /// One of [`DRUMS`].
    Drum(&'static str),
    /// A decoded sample from the bank.
    Sample(Sample),
}

/// An oscillator's waveform.
#[derive(Debug, Clone, Copy)]
pub(super) enum Wave {
    Sine,
    Square,
    Saw,
    Triangle,
}

/// A noise colour: white (flat), pink or brown (darker).
#[derive(Debug, Clone, Copy)]
pub(super) enum NoiseColor {
    White,
    Pink,
    Brown,
}

/// Why a hap makes no sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSound(pub String);

/// The source `s` names (default `triangle`); `None` for a rest. Samples
/// in the bank take precedence over the built-in names.
pub(super) fn source(
    controls: &Controls<'_>,
    bank: &SampleBank,
) -> Result<Option<Source>, UnknownSound> {
    let name = controls
        .text("s")
        .unwrap_or("triangle")
        .to_ascii_lowercase();
    if matches!(name.as_str(), "-" | "~" | "_") {
        return Ok(None);
    }
    let n = controls.num("n").unwrap_or(0.0);
    if let Some(sample) = bank.get(&name, n) {
        return Ok(Some(Source::Sample(sample)));
    }
    Ok(Some(match name.as_str() {
        "sine" | "sin" => Source::Oscillator(Wave::Sine),
        "square" | "sqr" => Source::Oscillator(Wave::Square),
        "sawtooth" | "saw" => Source::Oscillator(Wave::Saw),
        "triangle" | "tri" => Source::Oscillator(Wave::Triangle),
        "white" => Source::Noise(NoiseColor::White),
        "pink" => Source::Noise(NoiseColor::Pink),
        "brown" => Source::Noise(NoiseColor::Brown),
        other => match DRUMS.iter().find(|d| **d == other) {
            Some(drum) => Source::Drum(drum),
            None => return Err(UnknownSound(other.to_owned())),
        },
    }))
}

/// A deterministic noise generator (renders are reproducible).
pub(super) struct Noise(pub(super) u64);

impl Noise {
    pub(super) fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// Whether a source is shaped by the ADSR envelope (synths are; drums and
/// samples carry their own).
pub(super) enum Kind {
    Synth,
    Other,
}

/// The [`Kind`] of the source the controls name.
pub(super) fn source_kind(c: &Controls<'_>, bank: &SampleBank) -> Kind {
    match source(c, bank) {
        Ok(Some(Source::Oscillator(_) | Source::Noise(_))) => Kind::Synth,
        _ => Kind::Other,
    }
}
