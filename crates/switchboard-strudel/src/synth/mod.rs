//! The voices: oscillators, noises, synthesized drums and samples from a
//! folder, shaped by the controls of one hap (pitch, ADSR, gain, filters,
//! crush, shape, pan). Effects shared by all voices (delay, reverb) live in
//! [`crate::render`].
//!
//! Split by concept: what makes the sound (`source`: oscillators, noises,
//! drums, samples), the sample folders (`samples`), the synthesized drums
//! (`drum`), the envelope and filters (`envelope`, `filter`), and the
//! voice that puts them together for one hap (`voice`).

use std::collections::BTreeMap;

use crate::note::{midi_to_freq, note_to_midi};
use crate::pattern::Value;

mod drum;
mod envelope;
mod filter;
mod samples;
mod source;
mod voice;

pub use drum::DRUMS;
pub use samples::SampleBank;
pub use source::UnknownSound;
pub use voice::Voice;

/// One hap's controls, read with Strudel's defaults.
pub struct Controls<'a>(pub &'a BTreeMap<String, Value>);

impl Controls<'_> {
    fn num(&self, key: &str) -> Option<f64> {
        self.0
            .get(key)
            .and_then(Value::as_number)
            .filter(|x| x.is_finite())
    }

    fn text(&self, key: &str) -> Option<&str> {
        match self.0.get(key) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// The frequency: `freq`, else `note` (name or MIDI), else MIDI 36; times 2^octave.
    fn frequency(&self) -> f64 {
        let midi = match self.0.get("note") {
            Some(Value::Str(name)) => note_to_midi(name).unwrap_or(36.0),
            Some(Value::Num(n)) if *n != 0.0 => *n,
            _ => 36.0,
        };
        let base = self.num("freq").unwrap_or_else(|| midi_to_freq(midi));
        base * 2f64.powf(self.num("octave").unwrap_or(0.0))
    }

    fn midi(&self) -> f64 {
        match self.0.get("note") {
            Some(Value::Str(name)) => note_to_midi(name).unwrap_or(36.0),
            Some(Value::Num(n)) => *n,
            _ => self
                .num("freq")
                .map_or(36.0, |f| 69.0 + 12.0 * (f / 440.0).log2()),
        }
    }
}
