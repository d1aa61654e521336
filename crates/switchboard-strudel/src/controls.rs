//! Controls: the named parameters a hap's value carries (`s`, `gain`,
//! `cutoff`, ...), their aliases (`.lpf` stores `cutoff`), the controls that
//! take lists (`s("bd:3")` is `{s: "bd", n: 3}`), and arithmetic on values.

use std::collections::BTreeMap;

use crate::pattern::{Pattern, Value};

/// A control: its main name and the names a list value spreads over.
#[derive(Debug, Clone, Copy)]
pub struct Control {
    /// Names a list fills in order; the first is the main name.
    pub names: &'static [&'static str],
}

/// (names spread by a list, aliases).
const CONTROLS: &[(&[&str], &[&str])] = &[
    (&["s", "n", "gain"], &["sound"]),
    (&["n"], &[]),
    (&["note", "n"], &[]),
    (&["freq"], &[]),
    (&["gain"], &[]),
    (&["velocity"], &["vel"]),
    (&["postgain"], &[]),
    (&["pan"], &[]),
    (&["speed"], &[]),
    (&["cutoff", "resonance", "lpenv"], &["ctf", "lpf", "lp"]),
    (&["resonance"], &["lpq"]),
    (&["hcutoff", "hresonance", "hpenv"], &["hpf", "hp"]),
    (&["hresonance"], &["hpq"]),
    (&["bandf", "bandq", "bpenv"], &["bpf", "bp"]),
    (&["bandq"], &["bpq"]),
    (&["attack"], &["att"]),
    (&["decay"], &["dec"]),
    (&["sustain"], &["sus"]),
    (&["release"], &["rel"]),
    (&["hold"], &[]),
    (&["room", "size"], &[]),
    (&["roomsize"], &["size", "sz", "rsize"]),
    (&["delay", "delaytime", "delayfeedback"], &[]),
    (&["delaytime"], &["delayt", "dt"]),
    (&["delayfeedback"], &["delayfb", "dfb"]),
    (&["crush"], &[]),
    (&["coarse"], &[]),
    (&["shape", "shapevol"], &[]),
    (&["distort"], &["dist"]),
    (&["vowel"], &[]),
    (&["orbit"], &["o"]),
    (&["bank"], &[]),
    (&["clip"], &["legato"]),
    (&["duration"], &["dur"]),
    (&["begin"], &[]),
    (&["end"], &[]),
    (&["octave"], &["oct"]),
    (&["cut"], &[]),
    (&["loop"], &[]),
    (&["unit"], &[]),
    (&["cps"], &[]),
];

/// The control called `name` (main name or alias).
pub fn lookup(name: &str) -> Option<Control> {
    CONTROLS
        .iter()
        .find(|(names, aliases)| names[0] == name || aliases.contains(&name))
        .map(|(names, _)| Control { names })
}

/// `{name: v}`, spreading a list over the control's names.
fn control_value(control: Control, value: &Value) -> Value {
    let mut map = BTreeMap::new();
    match value {
        Value::List(items) => {
            for (name, item) in control.names.iter().zip(items) {
                map.insert((*name).to_owned(), item.clone());
            }
        }
        other => {
            map.insert(control.names[0].to_owned(), other.clone());
        }
    }
    Value::Map(map)
}

/// `s("bd sd")`: a pattern of `{s: v}`.
pub fn standalone(name: &str, value: &Pattern) -> Pattern {
    match lookup(name) {
        Some(control) => value.fmap(move |v| control_value(control, v)),
        None => Pattern::silence(),
    }
}

/// `pat.gain(x)`: structure from `pat`, the control's values merged in.
pub fn set(pattern: &Pattern, control: Control, value: &Pattern) -> Pattern {
    pattern.app_left(value, move |left, right| {
        let Value::Map(mut merged) = control_value(control, right) else {
            return None;
        };
        if let Value::Map(left) = left {
            let mut out = left.clone();
            out.append(&mut merged);
            return Some(Value::Map(out));
        }
        Some(Value::Map(merged))
    })
}

/// Applies `f` to a value's controls (non-control values are left alone).
pub fn map_value(value: &Value, f: impl FnOnce(&mut BTreeMap<String, Value>)) -> Value {
    match value {
        Value::Map(map) => {
            let mut map = map.clone();
            f(&mut map);
            Value::Map(map)
        }
        other => other.clone(),
    }
}

/// `a op b` as Strudel's `add`/`sub`/`mul`/`div`: note names count as MIDI
/// numbers; on two control sets the common keys combine and the others join.
pub fn numeric(op: &str, a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Map(left), Value::Map(right)) => {
            let mut out = left.clone();
            for (key, value) in right {
                let combined = match left.get(key) {
                    Some(existing) => numeric(op, existing, value),
                    None => value.clone(),
                };
                out.insert(key.clone(), combined);
            }
            Value::Map(out)
        }
        (Value::Map(_), _) => a.clone(),
        _ => match (a.as_number(), b.as_number()) {
            (Some(x), Some(y)) => Value::Num(match op {
                "add" => x + y,
                "sub" => x - y,
                "mul" => x * y,
                _ => x / y,
            }),
            _ => a.clone(),
        },
    }
}
