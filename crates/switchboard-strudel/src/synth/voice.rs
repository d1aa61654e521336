//! One voice: a hap's source rendered for its length, shaped by envelope,
//! filters, crush, shape, gain and pan, and mixed into the output.

use std::f64::consts::TAU;

use super::Controls;
use super::drum::Drum;
use super::envelope::{adsr, envelope_at};
use super::filter::Biquad;
use super::samples::SampleBank;
use super::source::{Kind, Noise, NoiseColor, Source, UnknownSound, Wave, source, source_kind};

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
