//! Time methods: speed (`fast`, `slow`, `hurry`), shifts (`early`, `late`),
//! order (`rev`, `palindrome`, `iter`), repetition (`ply`, `repeatCycles`),
//! squeezing (`fastGap`, `compress`) and transforming in another time frame
//! (`inside`, `outside`).

use super::Call;
use crate::controls;
use crate::eval::value::{Val, apply, fraction_arg};
use crate::fraction::Frac;
use crate::pattern::{Pattern, Value, slowcat, slowcat_prime};

/// Time methods and the number of arguments they take before the pattern.
pub(super) const METHODS: &[(&str, usize)] = &[
    ("fast", 1),
    ("density", 1),
    ("slow", 1),
    ("sparsity", 1),
    ("early", 1),
    ("late", 1),
    ("hurry", 1),
    ("rev", 0),
    ("palindrome", 0),
    ("iter", 1),
    ("iterBack", 1),
    ("ply", 1),
    ("inside", 2),
    ("outside", 2),
    ("repeatCycles", 1),
    ("fastGap", 1),
    ("compress", 2),
];

/// Applies time method `c.name`.
pub(super) fn call(c: &Call<'_>) -> Result<Pattern, String> {
    let (name, pat) = (c.name, &c.pat);
    Ok(match name {
        "fast" | "density" => c.frac_op(0, |p, x| p.fast_frac(x))?,
        "slow" | "sparsity" => c.frac_op(0, |p, x| {
            if x.is_zero() {
                Pattern::silence()
            } else {
                p.fast_frac(Frac::ONE / x)
            }
        })?,
        "early" => c.frac_op(0, |p, x| p.early(x))?,
        "late" => c.frac_op(0, |p, x| p.late(x))?,
        "hurry" => {
            let sped = c.frac_op(0, |p, x| p.fast_frac(x))?;
            let factor = c.number(0)?;
            sped.app_left(&factor, |v, f| {
                let f = f.as_number()?;
                Some(controls::map_value(v, |m| {
                    let speed = m.get("speed").and_then(Value::as_number).unwrap_or(1.0);
                    m.insert("speed".into(), Value::Num(speed * f));
                }))
            })
        }
        "rev" => pat.rev(),
        "palindrome" => slowcat_prime(vec![pat.clone(), pat.rev()]),
        "iter" | "iterBack" => {
            let back = name == "iterBack";
            c.frac_op(0, if back { iter_back } else { iter })?
        }
        "ply" => c.frac_op(0, |p, n| {
            p.squeeze_join(move |v| Pattern::pure(v.clone()).fast_frac(n))
        })?,
        "inside" | "outside" => {
            let n = match c.arg(0) {
                Val::Num(n) => Frac::from_f64(n).ok_or("bad factor")?,
                _ => return Err(format!("{name} expects a number")),
            };
            let n = if name == "outside" { Frac::ONE / n } else { n };
            apply(&c.arg(1), pat.fast_frac(Frac::ONE / n))?.fast_frac(n)
        }
        "repeatCycles" => c.frac_op(0, |p, n| p.repeat_cycles(n))?,
        "fastGap" => c.frac_op(0, |p, n| p.fast_gap(n))?,
        "compress" => {
            let (b, e) = (fraction_arg(&c.arg(0))?, fraction_arg(&c.arg(1))?);
            pat.compress(b, e)
        }
        _ => return Err(c.unknown()),
    })
}

/// Most steps `iter` accepts.
const MAX_ITER: i128 = 1024;

fn iter(p: &Pattern, n: Frac) -> Pattern {
    let count = n.floor().clamp(1, MAX_ITER);
    slowcat((0..count).map(|i| p.early(Frac::new(i, 1) / n)).collect())
}

fn iter_back(p: &Pattern, n: Frac) -> Pattern {
    let count = n.floor().clamp(1, MAX_ITER);
    slowcat((0..count).map(|i| p.late(Frac::new(i, 1) / n)).collect())
}
