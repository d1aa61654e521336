//! The free functions (`stack`, `cat`, `seq`, `timeCat`, `irand`, controls
//! such as `s(...)`) and the global names (`silence`, signals); any method
//! called as a function is curried (`fast(2)` waits for its pattern).

use std::sync::Arc;

use super::methods::{call_method, is_method, method_arity};
use super::value::{Val, reify, reify_all, with_number};
use crate::controls;
use crate::fraction::Frac;
use crate::mini;
use crate::pattern::{Pattern, fastcat, slowcat, stack, timecat};
use crate::signal;

/// Names that are values on their own.
pub(super) fn global(name: &str) -> Option<Val> {
    let pattern = match name {
        "silence" => Pattern::silence(),
        "sine" => signal::sine(),
        "cosine" => signal::cosine(),
        "saw" => signal::saw(),
        "isaw" => signal::isaw(),
        "square" => signal::square(),
        "tri" => signal::tri(),
        "rand" => signal::rand(),
        "time" => signal::time(),
        _ => {
            return (is_method(name) || is_function(name)).then(|| {
                let name = name.to_owned();
                Val::Func(Arc::new(move |args| call_function(&name, args)))
            });
        }
    };
    Some(Val::Pat(pattern))
}

/// `name(args)` for a name not bound in scope.
pub(super) fn call_function(name: &str, args: Vec<Val>) -> Result<Val, String> {
    let pats = || reify_all(&args);
    let pattern = match name {
        "stack" => stack(pats()?),
        "cat" | "slowcat" => slowcat(pats()?),
        "seq" | "fastcat" | "sequence" => fastcat(pats()?),
        "timeCat" | "timecat" | "stepcat" => {
            let mut parts = Vec::new();
            for arg in &args {
                let Val::Array(pair) = arg else {
                    return Err(format!("{name} expects [weight, pattern] pairs"));
                };
                let weight = match pair.first() {
                    Some(Val::Num(w)) => Frac::from_f64(*w).ok_or("bad weight")?,
                    _ => return Err(format!("{name} expects [weight, pattern] pairs")),
                };
                parts.push((weight, reify(pair.get(1).ok_or("missing pattern")?)?));
            }
            timecat(parts)
        }
        "pure" => reify(args.first().ok_or("pure expects a value")?)?,
        "irand" => {
            let n = args.first().ok_or("irand expects a number")?;
            return Ok(Val::Pat(with_number(n, signal::irand)?));
        }
        "chooseCycles" | "randcat" => mini::choose_cycles(pats()?),
        _ if controls::lookup(name).is_some() => {
            let value = reify(
                args.first()
                    .ok_or_else(|| format!("{name} expects a value"))?,
            )?;
            controls::standalone(name, &value)
        }
        _ if is_method(name) => {
            // Curried: `fast(2)` waits for its pattern; `fast(2, pat)` applies.
            let arity = method_arity(name);
            if args.len() == arity + 1 {
                let mut args = args;
                let target = args.pop().unwrap_or(Val::Undefined);
                return call_method(&target, name, args);
            }
            let name = name.to_owned();
            return Ok(Val::Func(Arc::new(move |more: Vec<Val>| {
                let target = more.into_iter().next().unwrap_or(Val::Undefined);
                call_method(&target, &name, args.clone())
            })));
        }
        _ => return Err(format!("{name} is not defined")),
    };
    Ok(Val::Pat(pattern))
}

fn is_function(name: &str) -> bool {
    matches!(
        name,
        "stack"
            | "cat"
            | "slowcat"
            | "seq"
            | "fastcat"
            | "sequence"
            | "timeCat"
            | "timecat"
            | "stepcat"
            | "pure"
            | "irand"
            | "chooseCycles"
            | "randcat"
    ) || controls::lookup(name).is_some()
}
