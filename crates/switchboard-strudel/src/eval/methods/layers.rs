//! Layering methods, which apply a function to the pattern: in some cycles
//! (`every`, `firstOf`, `lastOf`), shifted on top (`off`), on top
//! (`superimpose`), instead (`layer`), or panned against the original
//! (`jux`, `juxBy`).

use super::Call;
use crate::controls;
use crate::eval::value::{Val, apply, with_number};
use crate::pattern::{Pattern, Value, stack};

/// Layering methods and the number of arguments they take before the pattern.
pub(super) const METHODS: &[(&str, usize)] = &[
    ("every", 2),
    ("firstOf", 2),
    ("lastOf", 2),
    ("off", 2),
    ("superimpose", 1),
    ("layer", 1),
    ("jux", 1),
    ("juxBy", 2),
];

/// Applies layering method `c.name`.
pub(super) fn call(c: &Call<'_>) -> Result<Pattern, String> {
    let (name, pat) = (c.name, &c.pat);
    Ok(match name {
        "every" | "firstOf" | "lastOf" => {
            let transformed = apply(&c.arg(1), pat.clone())?;
            let last = name == "lastOf";
            let (p, t) = (pat.clone(), transformed);
            with_number(&c.arg(0), move |n| {
                let n = n.floor() as i128;
                if n <= 0 {
                    return p.clone();
                }
                // Like a slowcat of n patterns without shifting time, without building them.
                let index = if last { n - 1 } else { 0 };
                let (p, t) = (p.clone(), t.clone());
                Pattern::new(move |state| {
                    if state.span.begin.floor().rem_euclid(n) == index {
                        t.query(state)
                    } else {
                        p.query(state)
                    }
                })
                .split_queries()
            })?
        }
        "off" => {
            let shifted = c.frac_op(0, |p, t| p.late(t))?;
            stack(vec![pat.clone(), apply(&c.arg(1), shifted)?])
        }
        "superimpose" => stack(vec![pat.clone(), apply(&c.arg(0), pat.clone())?]),
        "layer" => apply(&c.arg(0), pat.clone())?,
        "jux" => jux_by(pat, 1.0, &c.arg(0))?,
        "juxBy" => {
            let by = match c.arg(0) {
                Val::Num(n) => n,
                _ => return Err("juxBy expects a number".into()),
            };
            jux_by(pat, by, &c.arg(1))?
        }
        _ => return Err(c.unknown()),
    })
}

fn jux_by(pat: &Pattern, by: f64, f: &Val) -> Result<Pattern, String> {
    let panned = |offset: f64| {
        pat.fmap(move |v| {
            controls::map_value(v, |m| {
                let pan = m.get("pan").and_then(Value::as_number).unwrap_or(0.5);
                m.insert("pan".into(), Value::Num(pan + offset));
            })
        })
    };
    Ok(stack(vec![panned(-by / 2.0), apply(f, panned(by / 2.0))?]))
}
