//! Continuous patterns and Strudel's random numbers. The generator is the
//! legacy one (an xorshift of the time, repeating every 300 cycles), so
//! `?`, `degradeBy`, `sometimes` and `rand` pick what Strudel picks.

use crate::fraction::Frac;
use crate::pattern::{Pattern, Value, fastcat};

fn xorwise(x: i32) -> i32 {
    let a = x.wrapping_shl(13) ^ x;
    let b = (a >> 17) ^ a;
    b.wrapping_shl(5) ^ b
}

fn frac_part(x: f64) -> f64 {
    x - x.trunc()
}

/// The random number at time `t` (plus a seed), in `[0, 1)`.
pub fn rand_at(t: f64) -> f64 {
    let seed = xorwise((frac_part(t / 300.0) * 536_870_912.0).trunc() as i32);
    ((f64::from(seed % 536_870_912)) / 536_870_912.0).abs()
}

/// `rand`: uniform in `[0, 1)`, sampled at each query's start.
pub fn rand() -> Pattern {
    Pattern::signal(|t, seed| Value::Num(rand_at(t.to_f64() + seed)))
}

/// `irand(n)`: integers `0..n`.
pub fn irand(n: f64) -> Pattern {
    Pattern::signal(move |t, seed| Value::Num((rand_at(t.to_f64() + seed) * n).trunc()))
}

/// `saw`: 0 → 1 each cycle.
pub fn saw() -> Pattern {
    Pattern::signal(|t, _| Value::Num(t.cycle_pos().to_f64()))
}

/// `isaw`: 1 → 0 each cycle.
pub fn isaw() -> Pattern {
    Pattern::signal(|t, _| Value::Num(1.0 - t.cycle_pos().to_f64()))
}

/// `sine`: 0..1.
pub fn sine() -> Pattern {
    Pattern::signal(|t, _| Value::Num(((std::f64::consts::TAU * t.to_f64()).sin() + 1.0) / 2.0))
}

/// `cosine`: `sine` a quarter cycle later.
pub fn cosine() -> Pattern {
    sine().early(Frac::new(1, 4))
}

/// `square`: 0 for the first half of each cycle, 1 for the second.
pub fn square() -> Pattern {
    Pattern::signal(|t, _| Value::Num(((t.to_f64() * 2.0) % 2.0).floor()))
}

/// `tri`: up then down each cycle.
pub fn tri() -> Pattern {
    fastcat(vec![saw(), isaw()])
}

/// `time`: the cycle position itself.
pub fn time() -> Pattern {
    Pattern::signal(|t, _| Value::Num(t.to_f64()))
}

/// Keeps haps where the random number at their start is above `amount`
/// (`inverted`: where one minus it is).
pub fn degrade_by_with(pattern: &Pattern, rand: &Pattern, amount: f64, inverted: bool) -> Pattern {
    pattern.app_left(rand, move |v, r| {
        let r = r.as_number().unwrap_or(0.0);
        let keep = if inverted {
            1.0 - r > amount
        } else {
            r > amount
        };
        keep.then(|| v.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_random_numbers() {
        for (t, expected) in [
            (0.0, 0.0),
            (0.125, 0.6852155700325966),
            (0.25, 0.36975969187915325),
            (0.5, 0.2604806162416935),
            (1.0, 0.5195421651005745),
            (2.0, 0.9595271199941635),
            (3.0, 0.21728911064565182),
            (0.0003, 0.25430540926754475),
            (1.0003, 0.3452865444123745),
            (-0.5, 0.3014927301555872),
            (-1.0, 0.520488191395998),
        ] {
            assert_eq!(rand_at(t), expected, "rand({t})");
        }
    }
}
