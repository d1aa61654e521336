//! Value methods: arithmetic (`add`, `sub`, `mul`, `div`), scaling a
//! signal (`range`), notes from scale degrees (`scale`), and the labels and
//! visual helpers that leave the pattern as it is.

use super::Call;
use crate::controls;
use crate::eval::value::Val;
use crate::pattern::{Pattern, Value};

/// Value methods and the number of arguments they take before the pattern.
pub(super) const METHODS: &[(&str, usize)] = &[
    ("add", 1),
    ("sub", 1),
    ("mul", 1),
    ("div", 1),
    ("range", 2),
    ("scale", 1),
    ("p", 1),
    ("log", 0),
    ("color", 1),
    ("pianoroll", 0),
    ("punchcard", 0),
    ("scope", 0),
];

/// Applies value method `c.name`.
pub(super) fn call(c: &Call<'_>) -> Result<Pattern, String> {
    let (name, pat) = (c.name, &c.pat);
    Ok(match name {
        "add" | "sub" | "mul" | "div" => {
            let op = name.to_owned();
            pat.app_left(&c.number(0)?, move |a, b| {
                Some(controls::numeric(&op, a, b))
            })
        }
        "range" => {
            let (lo, hi) = match (c.arg(0), c.arg(1)) {
                (Val::Num(a), Val::Num(b)) => (a, b),
                _ => return Err("range expects numbers".into()),
            };
            pat.fmap(move |v| match v.as_number() {
                Some(x) => Value::Num(x * (hi - lo) + lo),
                None => v.clone(),
            })
        }
        "scale" => {
            let names = c.number(0)?;
            // In mini-notation `"C:minor"` is a list: `:` joins its parts.
            let scaled = |p: &Pattern, name: &Value| -> Pattern {
                let text = match name {
                    Value::Str(name) => name.clone(),
                    Value::List(parts) => parts
                        .iter()
                        .map(|part| match part {
                            Value::Str(s) => s.clone(),
                            other => other.to_json().to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(":"),
                    _ => return Pattern::silence(),
                };
                match crate::scale::Scale::parse(&text) {
                    Some(scale) => p.filter_map_values(move |v| crate::scale::apply(&scale, v)),
                    None => Pattern::silence(),
                }
            };
            match &names.pure {
                Some(name) => scaled(pat, name),
                None => {
                    let p = pat.clone();
                    names.inner_join(move |name| scaled(&p, name))
                }
            }
        }
        // Labels and visual helpers change nothing audible.
        "p" | "log" | "color" | "pianoroll" | "punchcard" | "scope" => pat.clone(),
        _ => return Err(c.unknown()),
    })
}
