//! Runtime values of the interpreter and how they become patterns: numbers
//! and plain strings are `pure`, arrays are sequences, functions apply.

use std::sync::Arc;

use crate::fraction::Frac;
use crate::pattern::{Pattern, Value, fastcat};

/// A runtime value.
#[derive(Clone)]
pub(super) enum Val {
    /// A pattern (mini-notation strings evaluate to one).
    Pat(Pattern),
    /// A number.
    Num(f64),
    /// A plain string (single-quoted, or a sum of strings).
    Str(String),
    /// `[a, b]`.
    Array(Vec<Val>),
    /// An arrow function, a curried method or a named function.
    Func(Func),
    /// What statements like `setcps(1)` return.
    Undefined,
}

/// A callable value.
pub(super) type Func = Arc<dyn Fn(Vec<Val>) -> Result<Val, String> + Send + Sync>;

/// Argument `index`, which must be a plain number.
pub(super) fn number_arg(args: &[Val], index: usize) -> Result<f64, String> {
    match args.get(index) {
        Some(Val::Num(n)) => Ok(*n),
        _ => Err("expected a number".into()),
    }
}

/// A value as a pattern: numbers and plain strings are `pure`, arrays are sequences.
pub(super) fn reify(value: &Val) -> Result<Pattern, String> {
    match value {
        Val::Pat(p) => Ok(p.clone()),
        Val::Num(n) => Ok(Pattern::pure(Value::Num(*n))),
        Val::Str(s) => Ok(Pattern::pure(Value::Str(s.clone()))),
        Val::Array(items) => Ok(fastcat(items.iter().map(reify).collect::<Result<_, _>>()?)),
        Val::Func(_) => Err("a function is not a pattern".into()),
        Val::Undefined => Err("undefined is not a pattern".into()),
    }
}

/// Every argument as a pattern.
pub(super) fn reify_all(args: &[Val]) -> Result<Vec<Pattern>, String> {
    args.iter().map(reify).collect()
}

/// Applies a function value to a pattern, reifying its result.
pub(super) fn apply(f: &Val, pattern: Pattern) -> Result<Pattern, String> {
    match f {
        Val::Func(f) => reify(&f(vec![Val::Pat(pattern)])?),
        _ => Err("expected a function".into()),
    }
}

/// `f` of a number, joined over the values when the number is patterned.
pub(super) fn with_number(
    value: &Val,
    f: impl Fn(f64) -> Pattern + Send + Sync + 'static,
) -> Result<Pattern, String> {
    let pattern = reify(value)?;
    Ok(match pattern.pure.as_ref().and_then(Value::as_number) {
        Some(n) => f(n),
        None => pattern.inner_join(move |v| v.as_number().map_or_else(Pattern::silence, &f)),
    })
}

/// A plain number as an exact fraction.
pub(super) fn fraction_arg(value: &Val) -> Result<Frac, String> {
    match value {
        Val::Num(n) => Frac::from_f64(*n).ok_or_else(|| "bad number".into()),
        _ => Err("expected a number".into()),
    }
}
