//! The amplitude envelope of oscillator and noise voices.

use super::Controls;

/// The amplitude envelope: attack, decay, sustain level, release, with
/// Strudel's rule for partially given values.
pub(super) fn adsr(controls: &Controls<'_>) -> (f64, f64, f64, f64) {
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

pub(super) fn envelope_at(t: f64, hold: f64, (a, d, s, r): (f64, f64, f64, f64)) -> f64 {
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
