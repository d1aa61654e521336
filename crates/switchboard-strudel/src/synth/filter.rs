//! The per-voice low- and high-pass filter.

use std::f64::consts::TAU;

/// A resonant biquad (RBJ cookbook), mono.
pub(super) struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
    x: [f64; 2],
    y: [f64; 2],
}

impl Biquad {
    pub(super) fn new(highpass: bool, freq: f64, q_db: f64, rate: f64) -> Biquad {
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

    pub(super) fn process(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.b[1] * self.x[0] + self.b[2] * self.x[1]
            - self.a[0] * self.y[0]
            - self.a[1] * self.y[1];
        self.x = [x, self.x[0]];
        self.y = [y, self.y[0]];
        y
    }
}
