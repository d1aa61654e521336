//! Pattern methods (`pat.fast(2)`): the method table with each method's
//! arity, the rules shared by all of them (controls, sequencing several
//! arguments, missing arguments) and dispatch to the families that
//! implement them: time, structure, chance, layering and values.

use super::value::{Val, reify, reify_all};
use crate::controls;
use crate::fraction::Frac;
use crate::pattern::{Pattern, Value, fastcat};

mod chance;
mod layers;
mod structure;
mod time;
mod values;

/// How one family applies its methods.
type Apply = fn(&Call<'_>) -> Result<Pattern, String>;

/// Each family's methods, with the number of arguments they take before
/// the pattern, and how it applies them.
const FAMILIES: &[(&[(&str, usize)], Apply)] = &[
    (time::METHODS, time::call),
    (structure::METHODS, structure::call),
    (chance::METHODS, chance::call),
    (layers::METHODS, layers::call),
    (values::METHODS, values::call),
];

/// The arity of method `name` and the family that applies it.
fn lookup(name: &str) -> Option<(usize, Apply)> {
    FAMILIES.iter().find_map(|(methods, apply)| {
        methods
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, arity)| (*arity, *apply))
    })
}

/// Whether `name` is a method (controls are methods too).
pub(super) fn is_method(name: &str) -> bool {
    lookup(name).is_some() || controls::lookup(name).is_some()
}

/// The number of arguments method `name` takes before the pattern.
pub(super) fn method_arity(name: &str) -> usize {
    lookup(name).map_or(1, |(arity, _)| arity)
}

/// One method call: the method's name, its target and its arguments.
struct Call<'a> {
    name: &'a str,
    pat: Pattern,
    args: Vec<Val>,
}

impl Call<'_> {
    /// Argument `i`, `undefined` when missing.
    fn arg(&self, i: usize) -> Val {
        self.args.get(i).cloned().unwrap_or(Val::Undefined)
    }

    /// Argument `i` as a pattern.
    fn number(&self, i: usize) -> Result<Pattern, String> {
        reify(&self.arg(i))
    }

    /// `f(pat, x)` for the exact fraction `x` of argument `i`: applied
    /// directly when it is plain, joined over its values when patterned.
    fn frac_op(&self, i: usize, f: fn(&Pattern, Frac) -> Pattern) -> Result<Pattern, String> {
        let factor = self.number(i)?;
        let p = self.pat.clone();
        Ok(match factor.pure.as_ref().and_then(Value::as_number) {
            Some(x) => Frac::from_f64(x).map_or_else(Pattern::silence, |x| f(&p, x)),
            None => factor.inner_join(move |v| {
                v.as_number()
                    .and_then(Frac::from_f64)
                    .map_or_else(Pattern::silence, |x| f(&p, x))
            }),
        })
    }

    /// The error for a name the family does not know.
    fn unknown(&self) -> String {
        format!("{} is not a function", self.name)
    }
}

/// `target.name(args)`.
pub(super) fn call_method(target: &Val, name: &str, args: Vec<Val>) -> Result<Val, String> {
    let pat = reify(target).map_err(|_| format!("{name} is not a function"))?;
    if let Some(control) = controls::lookup(name) {
        let value = match args.len() {
            // `pat.s()`: the pattern's own values become the control.
            0 => return Ok(Val::Pat(controls::standalone(name, &pat))),
            1 => reify(&args[0])?,
            _ => fastcat(reify_all(&args)?),
        };
        return Ok(Val::Pat(controls::set(&pat, control, &value)));
    }
    let (arity, apply) = lookup(name).ok_or_else(|| format!("{name} is not a function"))?;
    // A one-argument method given several arguments sequences them.
    let args = if arity == 1 && args.len() > 1 && !matches!(args[0], Val::Func(_)) {
        vec![Val::Pat(fastcat(reify_all(&args)?))]
    } else {
        args
    };
    if args.len() < arity {
        return Err(format!(
            ".{name}() expects {arity} inputs but got {}.",
            args.len()
        ));
    }
    apply(&Call { name, pat, args }).map(Val::Pat)
}
