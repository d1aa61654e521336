//! Chance methods: dropping events at random (`degrade`, `degradeBy`),
//! transforming some of them (`sometimes` and its fixed-probability
//! relatives) and choosing the random seed (`seed`).

use super::Call;
use crate::eval::value::{Val, apply, reify, with_number};
use crate::pattern::{Pattern, Value, stack};
use crate::signal;

/// Chance methods and the number of arguments they take before the pattern.
pub(super) const METHODS: &[(&str, usize)] = &[
    ("degrade", 0),
    ("degradeBy", 1),
    ("undegradeBy", 1),
    ("sometimes", 1),
    ("sometimesBy", 2),
    ("often", 1),
    ("rarely", 1),
    ("almostNever", 1),
    ("almostAlways", 1),
    ("always", 1),
    ("never", 1),
    ("seed", 1),
];

/// Applies chance method `c.name`.
pub(super) fn call(c: &Call<'_>) -> Result<Pattern, String> {
    let (name, pat) = (c.name, &c.pat);
    Ok(match name {
        "degrade" => signal::degrade_by_with(pat, &signal::rand(), 0.5, false),
        "degradeBy" | "undegradeBy" => {
            let inverted = name == "undegradeBy";
            let p = pat.clone();
            with_number(&c.arg(0), move |x| {
                signal::degrade_by_with(&p, &signal::rand(), x, inverted)
            })?
        }
        "sometimesBy" => sometimes_by(pat, &c.arg(0), &c.arg(1))?,
        "sometimes" | "often" | "rarely" | "almostNever" | "almostAlways" | "always" | "never" => {
            let x = match name {
                "sometimes" => 0.5,
                "often" => 0.75,
                "rarely" => 0.25,
                "almostNever" => 0.1,
                "almostAlways" => 0.9,
                "always" => 1.0,
                _ => 0.0,
            };
            sometimes_by(pat, &Val::Num(x), &c.arg(0))?
        }
        "seed" => {
            let seed = match c.arg(0) {
                Val::Num(n) => n,
                _ => return Err("seed expects a number".into()),
            };
            let p = pat.clone();
            Pattern::new(move |state| {
                let mut state = *state;
                state.rand_seed = seed;
                p.query(&state)
            })
        }
        _ => return Err(c.unknown()),
    })
}

fn sometimes_by(pat: &Pattern, amount: &Val, f: &Val) -> Result<Pattern, String> {
    let x = match amount {
        Val::Num(n) => *n,
        other => reify(other)?
            .pure
            .as_ref()
            .and_then(Value::as_number)
            .ok_or("sometimesBy expects a number")?,
    };
    let kept = signal::degrade_by_with(pat, &signal::rand(), x, false);
    let changed = apply(
        f,
        signal::degrade_by_with(pat, &signal::rand(), 1.0 - x, true),
    )?;
    Ok(stack(vec![kept, changed]))
}
