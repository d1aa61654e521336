//! The voices: oscillators, noises, synthesized drums and samples from a
//! folder, shaped by the controls of one hap (pitch, ADSR, gain, filters,
//! crush, shape, pan). Effects shared by all voices (delay, reverb) live in
//! [`crate::render`].

use std::collections::{BTreeMap, HashMap};
use std::f64::consts::TAU;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::note::{midi_to_freq, note_to_midi};
use crate::pattern::Value;

/// The drum names synthesized here (Strudel loads them as remote samples).
pub const DRUMS: &[&str] = &[
    "bd", "sd", "hh", "oh", "cp", "rim", "lt", "mt", "ht", "cr", "rd", "sh", "cb", "perc",
];

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

/// What makes the sound.
#[derive(Debug, Clone)]
enum Source {
    Oscillator(Wave),
    Noise(NoiseColor),
    Drum(&'static str),
    Sample(Sample),
}

#[derive(Debug, Clone, Copy)]
enum Wave {
    Sine,
    Square,
    Saw,
    Triangle,
}

#[derive(Debug, Clone, Copy)]
enum NoiseColor {
    White,
    Pink,
    Brown,
}

/// Decoded stereo frames and their sample rate.
type Sample = Arc<(Vec<[f32; 2]>, u32)>;

/// Sample folders in the Dirt-Samples layout: `<dir>/<name>/*.wav`.
#[derive(Debug, Default)]
pub struct SampleBank {
    dir: Option<PathBuf>,
    cache: std::sync::Mutex<HashMap<String, Vec<Sample>>>,
}

impl SampleBank {
    /// Samples under `dir` (none when `None`).
    pub fn new(dir: Option<&Path>) -> Self {
        SampleBank {
            dir: dir.map(Path::to_owned),
            cache: std::sync::Mutex::default(),
        }
    }

    /// File `n` (mod the count) of folder `name`, decoded.
    fn get(&self, name: &str, n: f64) -> Option<Sample> {
        let dir = self.dir.as_ref()?;
        if name.contains(['/', '\\', '.']) {
            return None;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if !cache.contains_key(name) {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(name))
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav")))
                .collect();
            files.sort();
            let decoded = files
                .iter()
                .filter_map(|path| decode(path))
                .map(Arc::new)
                .collect();
            cache.insert(name.to_owned(), decoded);
        }
        let list = cache.get(name)?;
        if list.is_empty() {
            return None;
        }
        let index = (n.round() as i64).rem_euclid(list.len() as i64) as usize;
        Some(list[index].clone())
    }
}

fn decode(path: &Path) -> Option<(Vec<[f32; 2]>, u32)> {
    let mut reader = hound::WavReader::open(path).ok()?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().filter_map(Result::ok).collect(),
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .filter_map(Result::ok)
                .map(|s| s as f32 / scale)
                .collect()
        }
    };
    let frames = samples
        .chunks(channels)
        .map(|c| [c[0], *c.get(1).unwrap_or(&c[0])])
        .collect();
    Some((frames, spec.sample_rate))
}

/// Why a hap makes no sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSound(pub String);

fn source(controls: &Controls<'_>, bank: &SampleBank) -> Result<Option<Source>, UnknownSound> {
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
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// The amplitude envelope: attack, decay, sustain level, release, with
/// Strudel's rule for partially given values.
fn adsr(controls: &Controls<'_>) -> (f64, f64, f64, f64) {
    let (a, d, s, r) = (
        controls.num("attack"),
        controls.num("decay"),
        controls.num("sustain"),
        controls.num("release"),
    );
    if a.is_none() && d.is_none() && s.is_none() && r.is_none() {
        return (0.001, 0.05, 0.6, 0.01);
    }
    let sustain = s.unwrap_or(if d.is_none() { 1.0 } else { 0.001 });
    (
        a.unwrap_or(0.001).max(0.0),
        d.unwrap_or(0.001).max(0.0),
        sustain.clamp(0.0, 1.0),
        r.unwrap_or(0.01).max(0.01),
    )
}

fn envelope_at(t: f64, hold: f64, (a, d, s, r): (f64, f64, f64, f64)) -> f64 {
    let level = |t: f64| {
        if t < a {
            t / a.max(1e-9)
        } else if t < a + d {
            1.0 - (1.0 - s) * (t - a) / d.max(1e-9)
        } else {
            s
        }
    };
    if t < hold {
        level(t)
    } else if t < hold + r {
        level(hold) * (1.0 - (t - hold) / r)
    } else {
        0.0
    }
}

/// A resonant biquad (RBJ cookbook), mono.
struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
    x: [f64; 2],
    y: [f64; 2],
}

impl Biquad {
    fn new(highpass: bool, freq: f64, q_db: f64, rate: f64) -> Biquad {
        let freq = freq.clamp(10.0, rate * 0.45);
        let q = 10f64.powf(q_db / 20.0).max(0.1);
        let w = TAU * freq / rate;
        let alpha = w.sin() / (2.0 * q);
        let cos = w.cos();
        let (b0, b1, b2) = if highpass {
            ((1.0 + cos) / 2.0, -(1.0 + cos), (1.0 + cos) / 2.0)
        } else {
            ((1.0 - cos) / 2.0, 1.0 - cos, (1.0 - cos) / 2.0)
        };
        let a0 = 1.0 + alpha;
        Biquad {
            b: [b0 / a0, b1 / a0, b2 / a0],
            a: [-2.0 * cos / a0, (1.0 - alpha) / a0],
            x: [0.0; 2],
            y: [0.0; 2],
        }
    }

    fn process(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.b[1] * self.x[0] + self.b[2] * self.x[1]
            - self.a[0] * self.y[0]
            - self.a[1] * self.y[1];
        self.x = [x, self.x[0]];
        self.y = [y, self.y[0]];
        y
    }
}

/// One voice, rendered into `out` starting at frame `start`.
pub struct Voice<'a> {
    /// The hap's controls.
    pub controls: Controls<'a>,
    /// How long the note is held, in seconds.
    pub hold: f64,
    /// Output sample rate.
    pub rate: f64,
    /// A seed for its noise.
    pub seed: u64,
}

impl Voice<'_> {
    /// How many frames the voice lasts (0 for rests); an error when the
    /// sound is unknown.
    pub fn frames(&self, bank: &SampleBank) -> Result<usize, UnknownSound> {
        let c = &self.controls;
        let Some(source) = source(c, bank)? else {
            return Ok(0);
        };
        let release = adsr(c).3;
        let seconds = match source {
            Source::Oscillator(_) | Source::Noise(_) => self.hold + release,
            Source::Drum(name) => {
                let pitch = 2f64.powf((c.midi() - 36.0) / 12.0)
                    * c.num("speed").unwrap_or(1.0).abs().max(0.01);
                Drum::new(name, pitch, 0).length
            }
            Source::Sample(data) => {
                if c.num("clip").is_some() || c.num("release").is_some() {
                    self.hold + release
                } else {
                    let speed = c.num("speed").unwrap_or(1.0).abs();
                    let ratio =
                        speed * 2f64.powf((c.midi() - 36.0) / 12.0) * f64::from(data.1) / self.rate;
                    data.0.len() as f64 / ratio.max(1e-6) / self.rate
                }
            }
        };
        Ok((seconds.max(0.0) * self.rate) as usize)
    }

    /// Mixes the voice into `out` (stereo frames) from `start`; returns
    /// an error when the sound is unknown.
    pub fn render(
        &self,
        bank: &SampleBank,
        out: &mut [[f32; 2]],
        start: usize,
    ) -> Result<(), UnknownSound> {
        let c = &self.controls;
        let Some(source) = source(c, bank)? else {
            return Ok(());
        };
        let rate = self.rate;
        let envelope = adsr(c);
        let freq = c.frequency();
        let speed = c.num("speed").unwrap_or(1.0);
        let (length, mono): (f64, Box<dyn FnMut(f64) -> f64 + '_>) = match source {
            Source::Oscillator(wave) => {
                let mut phase = 0.0;
                (
                    self.hold + envelope.3,
                    Box::new(move |_t| {
                        phase = (phase + freq / rate).fract();
                        0.3 * match wave {
                            Wave::Sine => (TAU * phase).sin(),
                            Wave::Square => {
                                if phase < 0.5 {
                                    1.0
                                } else {
                                    -1.0
                                }
                            }
                            Wave::Saw => 2.0 * phase - 1.0,
                            Wave::Triangle => 1.0 - 4.0 * (phase - 0.5).abs(),
                        }
                    }),
                )
            }
            Source::Noise(color) => {
                let mut noise = Noise(self.seed | 1);
                let mut state = [0.0f64; 3];
                (
                    self.hold + envelope.3,
                    Box::new(move |_t| {
                        let white = noise.next();
                        0.3 * match color {
                            NoiseColor::White => white,
                            NoiseColor::Pink => {
                                state[0] = 0.997 * state[0] + 0.029 * white;
                                state[1] = 0.985 * state[1] + 0.032 * white;
                                state[2] = 0.95 * state[2] + 0.048 * white;
                                (state[0] + state[1] + state[2]) * 3.0
                            }
                            NoiseColor::Brown => {
                                state[0] = (state[0] + 0.02 * white) / 1.02;
                                state[0] * 3.5
                            }
                        }
                    }),
                )
            }
            Source::Drum(name) => {
                let pitch = 2f64.powf((c.midi() - 36.0) / 12.0) * speed.abs().max(0.01);
                let drum = Drum::new(name, pitch, self.seed);
                (drum.length, Box::new(move |t| drum.sample(t)))
            }
            Source::Sample(data) => {
                let ratio =
                    speed.abs() * 2f64.powf((c.midi() - 36.0) / 12.0) * f64::from(data.1) / rate;
                let count = data.0.len() as f64;
                let reverse = speed < 0.0;
                (
                    if c.num("clip").is_some() || c.num("release").is_some() {
                        self.hold + envelope.3
                    } else {
                        count / ratio.max(1e-6) / rate
                    },
                    Box::new(move |t| {
                        let position = t * rate * ratio;
                        let index = if reverse {
                            count - 1.0 - position
                        } else {
                            position
                        };
                        if index < 0.0 || index >= count - 1.0 {
                            return 0.0;
                        }
                        let i = index as usize;
                        let frac = index - i as f64;
                        let [l0, r0] = data.0[i];
                        let [l1, r1] = data.0[i + 1];
                        let a = f64::from(l0 + r0) / 2.0;
                        let b = f64::from(l1 + r1) / 2.0;
                        a + (b - a) * frac
                    }),
                )
            }
        };
        let uses_envelope = matches!(source_kind(c, bank), Kind::Synth);
        let gain = c.num("gain").unwrap_or(0.8)
            * c.num("velocity").unwrap_or(1.0)
            * c.num("postgain").unwrap_or(1.0);
        let pan = c.num("pan").unwrap_or(0.5).clamp(0.0, 1.0);
        let (left, right) = (
            (pan * std::f64::consts::FRAC_PI_2).cos(),
            (pan * std::f64::consts::FRAC_PI_2).sin(),
        );
        let mut lowpass = c
            .num("cutoff")
            .map(|f| Biquad::new(false, f, c.num("resonance").unwrap_or(1.0), rate));
        let mut highpass = c
            .num("hcutoff")
            .map(|f| Biquad::new(true, f, c.num("hresonance").unwrap_or(1.0), rate));
        let crush = c
            .num("crush")
            .filter(|b| *b >= 1.0)
            .map(|b| 2f64.powf(b - 1.0));
        let shape = c
            .num("shape")
            .map(|s| s.clamp(0.0, 0.99))
            .map(|s| 2.0 * s / (1.0 - s));
        let frames = (length.max(0.0) * rate) as usize;
        let mut mono = mono;
        for i in 0..frames {
            let Some(frame) = out.get_mut(start + i) else {
                break;
            };
            let t = i as f64 / rate;
            let mut x = mono(t);
            if uses_envelope {
                x *= envelope_at(t, self.hold, envelope);
            }
            if let Some(f) = lowpass.as_mut() {
                x = f.process(x);
            }
            if let Some(f) = highpass.as_mut() {
                x = f.process(x);
            }
            if let Some(levels) = crush {
                x = (x * levels).round() / levels;
            }
            if let Some(k) = shape {
                x = (1.0 + k) * x / (1.0 + k * x.abs());
            }
            x *= gain;
            frame[0] += (x * left) as f32;
            frame[1] += (x * right) as f32;
        }
        Ok(())
    }
}

enum Kind {
    Synth,
    Other,
}

fn source_kind(c: &Controls<'_>, bank: &SampleBank) -> Kind {
    match source(c, bank) {
        Ok(Some(Source::Oscillator(_) | Source::Noise(_))) => Kind::Synth,
        _ => Kind::Other,
    }
}

/// A synthesized drum: tone and noise with their own envelopes.
struct Drum {
    name: &'static str,
    pitch: f64,
    length: f64,
    noise: std::cell::RefCell<Noise>,
}

impl Drum {
    fn new(name: &'static str, pitch: f64, seed: u64) -> Drum {
        let length = match name {
            "bd" => 0.5,
            "sd" => 0.25,
            "hh" | "sh" | "rim" => 0.08,
            "oh" => 0.4,
            "cp" => 0.25,
            "lt" | "mt" | "ht" => 0.4,
            "cr" => 1.5,
            "rd" => 1.0,
            "cb" => 0.3,
            _ => 0.2,
        } / pitch.max(0.25);
        Drum {
            name,
            pitch,
            length,
            noise: std::cell::RefCell::new(Noise(seed | 1)),
        }
    }

    fn sample(&self, t: f64) -> f64 {
        let p = self.pitch;
        let t = t * p;
        let noise = self.noise.borrow_mut().next();
        let decay = |tau: f64| (-t / tau).exp();
        let tone = |f: f64| (TAU * f * t).sin();
        match self.name {
            // A falling sine: 150 Hz to 50 Hz.
            "bd" => {
                let phase = TAU * (50.0 * t + 100.0 * 0.04 * (1.0 - (-t / 0.04).exp()));
                phase.sin() * decay(0.15)
            }
            "sd" => 0.5 * tone(185.0) * decay(0.05) + 0.6 * noise * decay(0.07),
            "hh" => 0.5 * noise * decay(0.015),
            "sh" => 0.4 * noise * decay(0.03),
            "oh" => 0.5 * noise * decay(0.12),
            "cp" => {
                let burst = (0..3).any(|k| (t - 0.01 * f64::from(k)).abs() < 0.004);
                0.7 * noise * if burst { 1.0 } else { decay(0.06) * 0.6 }
            }
            "rim" => 0.6 * tone(820.0) * decay(0.01),
            "lt" => tone(100.0 * (1.0 + 0.5 * decay(0.05))) * decay(0.15),
            "mt" => tone(150.0 * (1.0 + 0.5 * decay(0.05))) * decay(0.13),
            "ht" => tone(220.0 * (1.0 + 0.5 * decay(0.05))) * decay(0.11),
            "cr" => 0.4 * noise * decay(0.5),
            "rd" => {
                0.25 * (tone(540.0).signum() + tone(800.0).signum() * 0.7 + noise * 0.5)
                    * decay(0.4)
            }
            "cb" => 0.3 * (tone(540.0).signum() + tone(800.0).signum()) * decay(0.08),
            _ => 0.5 * tone(300.0) * decay(0.04),
        }
    }
}
