//! The values haps carry: the JavaScript values a pattern can hold, with
//! JavaScript's truthiness, number coercion and JSON form.

use std::collections::BTreeMap;

/// A value carried by a hap: what JavaScript values a pattern holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number.
    Num(f64),
    /// A string (a sample name, a note name, a word).
    Str(String),
    /// A boolean (structure patterns).
    Bool(bool),
    /// A list (`"bd:3"` in mini-notation).
    List(Vec<Value>),
    /// Named controls (`{s: "bd", gain: 0.8}`).
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// JavaScript truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
            Value::Bool(b) => *b,
            Value::List(_) | Value::Map(_) => true,
        }
    }

    /// The number, if it is one (strings that parse as numbers count, as
    /// note names do: `"c3"` is 48).
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Str(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .or_else(|| crate::note::note_to_midi(s)),
            _ => None,
        }
    }

    /// As JSON, with integral numbers printed as integers (as JavaScript does).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Num(n) => number_json(*n),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::List(items) => items.iter().map(Value::to_json).collect(),
            Value::Map(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
}

/// A JavaScript number as JSON.
pub fn number_json(n: f64) -> serde_json::Value {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, Into::into)
    }
}
