//! The drum sounds synthesized here: a tone and a noise, each with its own
//! decay, tuned by name.

use std::f64::consts::TAU;

use super::source::Noise;

/// The drum names synthesized here (Strudel loads them as remote samples).
pub const DRUMS: &[&str] = &[
    "bd", "sd", "hh", "oh", "cp", "rim", "lt", "mt", "ht", "cr", "rd", "sh", "cb", "perc",
];

/// A synthesized drum: tone and noise with their own envelopes.
pub(super) struct Drum {
    name: &'static str,
    pitch: f64,
    pub(super) length: f64,
    noise: std::cell::RefCell<Noise>,
}

impl Drum {
    pub(super) fn new(name: &'static str, pitch: f64, seed: u64) -> Drum {
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

    pub(super) fn sample(&self, t: f64) -> f64 {
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
