//! Structure methods: rhythm taken from a boolean pattern (`struct`,
//! `mask`), from Euclid's algorithm (`euclid`, `euclidRot`) or from evenly
//! spaced samples (`segment`).

use super::Call;
use crate::eval::value::{Val, reify};
use crate::pattern::{Pattern, Value};

/// Structure methods and the number of arguments they take before the pattern.
pub(super) const METHODS: &[(&str, usize)] = &[
    ("struct", 1),
    ("mask", 1),
    ("euclid", 2),
    ("euclidRot", 3),
    ("segment", 1),
];

/// Applies structure method `c.name`.
pub(super) fn call(c: &Call<'_>) -> Result<Pattern, String> {
    let (name, pat) = (c.name, &c.pat);
    Ok(match name {
        "struct" => pat.structure(&c.number(0)?),
        "mask" => pat.mask(&c.number(0)?),
        "euclid" | "euclidRot" => {
            let ints = |i: usize| -> Result<i64, String> {
                match c.arg(i) {
                    Val::Num(n) => Ok(n.floor() as i64),
                    other => reify(&other)?
                        .pure
                        .as_ref()
                        .and_then(Value::as_number)
                        .map(|n| n.floor() as i64)
                        .ok_or_else(|| format!("{name} expects numbers")),
                }
            };
            let rotation = if name == "euclidRot" { ints(2)? } else { 0 };
            crate::euclid::euclid_rot(pat, ints(0)?, ints(1)?, rotation)
        }
        "segment" => c.frac_op(0, |p, n| {
            p.structure(&Pattern::pure(Value::Bool(true)).fast_frac(n))
        })?,
        _ => return Err(c.unknown()),
    })
}
