//! Evaluates a parsed program into a pattern: names, calls, method chains
//! and curried functions (`every(2, fast(2))`), with Strudel's rule for
//! arguments: plain values apply directly, patterned ones through a join.

use std::collections::HashMap;
use std::sync::Arc;

use crate::controls;
use crate::fraction::Frac;
use crate::mini;
use crate::pattern::{Pattern, Value, fastcat, slowcat, slowcat_prime, stack, timecat};
use crate::script::{self, Expr, ScriptError, Stmt, position};
use crate::signal;

/// What evaluation produced.
#[derive(Debug, Clone)]
pub struct Program {
    /// The pattern to play.
    pub pattern: Pattern,
    /// Cycles per second (`setcps`/`setcpm`; default 0.5).
    pub cps: f64,
}

/// A runtime value.
#[derive(Clone)]
enum Val {
    Pat(Pattern),
    Num(f64),
    Str(String),
    Array(Vec<Val>),
    Func(Func),
    Undefined,
}

type Func = Arc<dyn Fn(Vec<Val>) -> Result<Val, String> + Send + Sync>;

/// Evaluates Strudel code.
pub fn evaluate(source: &str) -> Result<Program, ScriptError> {
    let statements = script::parse(source)?;
    let mut evaluator = Evaluator {
        source,
        cps: 0.5,
        scope: HashMap::new(),
        depth: 0,
    };
    let mut last = None;
    let mut labelled = Vec::new();
    for statement in &statements {
        match statement {
            Stmt::Let(name, expr) => {
                let value = evaluator.eval(expr, &HashMap::new())?;
                evaluator.scope.insert(name.clone(), value);
            }
            Stmt::Expr(expr, label) => {
                let value = evaluator.eval(expr, &HashMap::new())?;
                match label {
                    Some(name) => {
                        let muted = name.starts_with('_') || name.ends_with('_');
                        if !muted {
                            labelled.push(reify(&value).map_err(|m| evaluator.error(m, expr))?);
                        }
                    }
                    None => last = Some((value, expr)),
                }
            }
        }
    }
    let pattern = if !labelled.is_empty() {
        stack(labelled)
    } else {
        match last {
            Some((Val::Undefined, _)) | None => Pattern::silence(),
            Some((value, expr)) => reify(&value).map_err(|m| evaluator.error(m, expr))?,
        }
    };
    Ok(Program {
        pattern,
        cps: evaluator.cps,
    })
}

struct Evaluator<'a> {
    source: &'a str,
    cps: f64,
    scope: HashMap<String, Val>,
    depth: usize,
}

/// Deepest evaluation (long method chains, long sums): patterns built
/// deeper than this would take too much stack to query.
const MAX_DEPTH: usize = 150;

fn expr_offset(expr: &Expr) -> usize {
    match expr {
        Expr::Str { offset, .. } => offset.saturating_sub(1),
        Expr::Ident(_, at)
        | Expr::Call(_, _, at)
        | Expr::Member(_, _, at)
        | Expr::Binary(_, _, _, at) => *at,
        Expr::Array(items) => items.first().map_or(0, expr_offset),
        Expr::Arrow(_, body) | Expr::Negate(body) => expr_offset(body),
        Expr::Num(_) => 0,
    }
}

impl Evaluator<'_> {
    fn error(&self, message: String, expr: &Expr) -> ScriptError {
        ScriptError {
            message,
            position: position(self.source, expr_offset(expr)),
        }
    }

    fn eval(&mut self, expr: &Expr, locals: &HashMap<String, Val>) -> Result<Val, ScriptError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return Err(self.error("the code is nested or chained too deeply".into(), expr));
        }
        let result = self.eval_inner(expr, locals);
        self.depth -= 1;
        result
    }

    fn eval_inner(
        &mut self,
        expr: &Expr,
        locals: &HashMap<String, Val>,
    ) -> Result<Val, ScriptError> {
        match expr {
            Expr::Num(n) => Ok(Val::Num(*n)),
            Expr::Str { text, mini, offset } => {
                if !mini {
                    return Ok(Val::Str(text.clone()));
                }
                mini::parse(text)
                    .map(Val::Pat)
                    .map_err(|error| ScriptError {
                        message: error.message,
                        position: position(self.source, offset + error.offset),
                    })
            }
            Expr::Ident(name, _) => {
                if let Some(value) = locals.get(name).or_else(|| self.scope.get(name)) {
                    return Ok(value.clone());
                }
                global(name).ok_or_else(|| self.error(format!("{name} is not defined"), expr))
            }
            Expr::Array(items) => Ok(Val::Array(
                items
                    .iter()
                    .map(|item| self.eval(item, locals))
                    .collect::<Result<_, _>>()?,
            )),
            Expr::Arrow(params, body) => {
                let params = params.clone();
                let body = (**body).clone();
                let source = self.source.to_owned();
                let scope = self.scope.clone();
                let captured = locals.clone();
                Ok(Val::Func(Arc::new(move |args: Vec<Val>| {
                    let mut locals = captured.clone();
                    for (i, name) in params.iter().enumerate() {
                        locals.insert(name.clone(), args.get(i).cloned().unwrap_or(Val::Undefined));
                    }
                    let mut inner = Evaluator {
                        source: &source,
                        cps: 0.5,
                        scope: scope.clone(),
                        depth: 0,
                    };
                    inner.eval(&body, &locals).map_err(|e| e.message)
                })))
            }
            Expr::Negate(inner) => match self.eval(inner, locals)? {
                Val::Num(n) => Ok(Val::Num(-n)),
                _ => Err(self.error("only numbers can be negated".into(), expr)),
            },
            Expr::Binary(op, left, right, _) => {
                let (l, r) = (self.eval(left, locals)?, self.eval(right, locals)?);
                match (l, r) {
                    (Val::Num(a), Val::Num(b)) => Ok(Val::Num(match op {
                        '+' => a + b,
                        '-' => a - b,
                        '*' => a * b,
                        '/' => a / b,
                        _ => a % b,
                    })),
                    (Val::Str(a), Val::Str(b)) if *op == '+' => Ok(Val::Str(a + &b)),
                    _ => Err(self.error(format!("`{op}` works on numbers only here"), expr)),
                }
            }
            Expr::Member(object, name, _) => {
                // A method read without a call: a function of the remaining arguments.
                let target = self.eval(object, locals)?;
                let name = name.clone();
                Ok(Val::Func(Arc::new(move |args| {
                    call_method(&target, &name, args)
                })))
            }
            Expr::Call(callee, args, _) => {
                let args: Vec<Val> = args
                    .iter()
                    .map(|arg| self.eval(arg, locals))
                    .collect::<Result<_, _>>()?;
                match &**callee {
                    Expr::Member(object, name, _) => {
                        let target = self.eval(object, locals)?;
                        call_method(&target, name, args).map_err(|m| self.error(m, expr))
                    }
                    Expr::Ident(name, _)
                        if locals.get(name).or_else(|| self.scope.get(name)).is_none() =>
                    {
                        match name.as_str() {
                            "setcps" | "setCps" => {
                                self.cps = number_arg(&args, 0).map_err(|m| self.error(m, expr))?;
                                Ok(Val::Undefined)
                            }
                            "setcpm" | "setCpm" => {
                                self.cps =
                                    number_arg(&args, 0).map_err(|m| self.error(m, expr))? / 60.0;
                                Ok(Val::Undefined)
                            }
                            "samples" | "hush" | "aliasBank" | "soundAlias" => Ok(Val::Undefined),
                            _ => call_function(name, args).map_err(|m| self.error(m, expr)),
                        }
                    }
                    other => match self.eval(other, locals)? {
                        Val::Func(f) => f(args).map_err(|m| self.error(m, expr)),
                        _ => Err(self.error("this is not a function".into(), expr)),
                    },
                }
            }
        }
    }
}

fn number_arg(args: &[Val], index: usize) -> Result<f64, String> {
    match args.get(index) {
        Some(Val::Num(n)) => Ok(*n),
        _ => Err("expected a number".into()),
    }
}

/// Names that are values on their own.
fn global(name: &str) -> Option<Val> {
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

/// A value as a pattern: numbers and plain strings are `pure`, arrays are sequences.
fn reify(value: &Val) -> Result<Pattern, String> {
    match value {
        Val::Pat(p) => Ok(p.clone()),
        Val::Num(n) => Ok(Pattern::pure(Value::Num(*n))),
        Val::Str(s) => Ok(Pattern::pure(Value::Str(s.clone()))),
        Val::Array(items) => Ok(fastcat(items.iter().map(reify).collect::<Result<_, _>>()?)),
        Val::Func(_) => Err("a function is not a pattern".into()),
        Val::Undefined => Err("undefined is not a pattern".into()),
    }
}

fn reify_all(args: &[Val]) -> Result<Vec<Pattern>, String> {
    args.iter().map(reify).collect()
}

fn call_function(name: &str, args: Vec<Val>) -> Result<Val, String> {
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

fn with_number(
    value: &Val,
    f: impl Fn(f64) -> Pattern + Send + Sync + 'static,
) -> Result<Pattern, String> {
    let pattern = reify(value)?;
    Ok(match pattern.pure.as_ref().and_then(Value::as_number) {
        Some(n) => f(n),
        None => pattern.inner_join(move |v| v.as_number().map_or_else(Pattern::silence, &f)),
    })
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

/// Methods and the number of arguments they take before the pattern.
const METHODS: &[(&str, usize)] = &[
    ("fast", 1),
    ("density", 1),
    ("slow", 1),
    ("sparsity", 1),
    ("early", 1),
    ("late", 1),
    ("rev", 0),
    ("palindrome", 0),
    ("iter", 1),
    ("iterBack", 1),
    ("ply", 1),
    ("every", 2),
    ("firstOf", 2),
    ("lastOf", 2),
    ("off", 2),
    ("jux", 1),
    ("juxBy", 2),
    ("struct", 1),
    ("mask", 1),
    ("euclid", 2),
    ("euclidRot", 3),
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
    ("add", 1),
    ("sub", 1),
    ("mul", 1),
    ("div", 1),
    ("range", 2),
    ("segment", 1),
    ("superimpose", 1),
    ("layer", 1),
    ("hurry", 1),
    ("seed", 1),
    ("inside", 2),
    ("outside", 2),
    ("repeatCycles", 1),
    ("fastGap", 1),
    ("compress", 2),
    ("p", 1),
    ("log", 0),
    ("color", 1),
    ("pianoroll", 0),
    ("punchcard", 0),
    ("scope", 0),
    ("scale", 1),
];

fn is_method(name: &str) -> bool {
    METHODS.iter().any(|(n, _)| *n == name) || controls::lookup(name).is_some()
}

fn method_arity(name: &str) -> usize {
    METHODS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(1, |(_, arity)| *arity)
}

fn apply(f: &Val, pattern: Pattern) -> Result<Pattern, String> {
    match f {
        Val::Func(f) => reify(&f(vec![Val::Pat(pattern)])?),
        _ => Err("expected a function".into()),
    }
}

/// `target.name(args)`.
fn call_method(target: &Val, name: &str, args: Vec<Val>) -> Result<Val, String> {
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
    let arity = METHODS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, a)| *a)
        .ok_or_else(|| format!("{name} is not a function"))?;
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
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Val::Undefined);
    let number = |i: usize| -> Result<Pattern, String> { reify(&arg(i)) };
    let frac_op = |i: usize, f: fn(&Pattern, Frac) -> Pattern| -> Result<Pattern, String> {
        let factor = number(i)?;
        let p = pat.clone();
        Ok(match factor.pure.as_ref().and_then(Value::as_number) {
            Some(x) => Frac::from_f64(x).map_or_else(Pattern::silence, |x| f(&p, x)),
            None => factor.inner_join(move |v| {
                v.as_number()
                    .and_then(Frac::from_f64)
                    .map_or_else(Pattern::silence, |x| f(&p, x))
            }),
        })
    };
    let out = match name {
        "fast" | "density" => frac_op(0, |p, x| p.fast_frac(x))?,
        "slow" | "sparsity" => frac_op(0, |p, x| {
            if x.is_zero() {
                Pattern::silence()
            } else {
                p.fast_frac(Frac::ONE / x)
            }
        })?,
        "early" => frac_op(0, |p, x| p.early(x))?,
        "late" => frac_op(0, |p, x| p.late(x))?,
        "hurry" => {
            let sped = frac_op(0, |p, x| p.fast_frac(x))?;
            let factor = number(0)?;
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
            frac_op(0, if back { iter_back } else { iter })?
        }
        "ply" => frac_op(0, |p, n| {
            p.squeeze_join(move |v| Pattern::pure(v.clone()).fast_frac(n))
        })?,
        "every" | "firstOf" | "lastOf" => {
            let transformed = apply(&arg(1), pat.clone())?;
            let last = name == "lastOf";
            let (p, t) = (pat.clone(), transformed);
            with_number(&arg(0), move |n| {
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
            let shifted = frac_op(0, |p, t| p.late(t))?;
            stack(vec![pat.clone(), apply(&arg(1), shifted)?])
        }
        "superimpose" => stack(vec![pat.clone(), apply(&arg(0), pat.clone())?]),
        "layer" => apply(&arg(0), pat.clone())?,
        "jux" => jux_by(&pat, 1.0, &arg(0))?,
        "juxBy" => {
            let by = match arg(0) {
                Val::Num(n) => n,
                _ => return Err("juxBy expects a number".into()),
            };
            jux_by(&pat, by, &arg(1))?
        }
        "struct" => pat.structure(&number(0)?),
        "mask" => pat.mask(&number(0)?),
        "euclid" | "euclidRot" => {
            let ints = |i: usize| -> Result<i64, String> {
                match arg(i) {
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
            crate::euclid::euclid_rot(&pat, ints(0)?, ints(1)?, rotation)
        }
        "degrade" => signal::degrade_by_with(&pat, &signal::rand(), 0.5, false),
        "degradeBy" | "undegradeBy" => {
            let inverted = name == "undegradeBy";
            let p = pat.clone();
            with_number(&arg(0), move |x| {
                signal::degrade_by_with(&p, &signal::rand(), x, inverted)
            })?
        }
        "sometimesBy" => sometimes_by(&pat, &arg(0), &arg(1))?,
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
            sometimes_by(&pat, &Val::Num(x), &arg(0))?
        }
        "add" | "sub" | "mul" | "div" => {
            let op = name.to_owned();
            pat.app_left(&number(0)?, move |a, b| Some(controls::numeric(&op, a, b)))
        }
        "range" => {
            let (lo, hi) = match (arg(0), arg(1)) {
                (Val::Num(a), Val::Num(b)) => (a, b),
                _ => return Err("range expects numbers".into()),
            };
            pat.fmap(move |v| match v.as_number() {
                Some(x) => Value::Num(x * (hi - lo) + lo),
                None => v.clone(),
            })
        }
        "segment" => frac_op(0, |p, n| {
            p.structure(&Pattern::pure(Value::Bool(true)).fast_frac(n))
        })?,
        "seed" => {
            let seed = match arg(0) {
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
        "inside" | "outside" => {
            let n = match arg(0) {
                Val::Num(n) => Frac::from_f64(n).ok_or("bad factor")?,
                _ => return Err(format!("{name} expects a number")),
            };
            let n = if name == "outside" { Frac::ONE / n } else { n };
            apply(&arg(1), pat.fast_frac(Frac::ONE / n))?.fast_frac(n)
        }
        "repeatCycles" => frac_op(0, |p, n| p.repeat_cycles(n))?,
        "fastGap" => frac_op(0, |p, n| p.fast_gap(n))?,
        "compress" => {
            let (b, e) = (fraction_arg(&arg(0))?, fraction_arg(&arg(1))?);
            pat.compress(b, e)
        }
        "scale" => {
            let names = number(0)?;
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
                Some(name) => scaled(&pat, name),
                None => {
                    let p = pat.clone();
                    names.inner_join(move |name| scaled(&p, name))
                }
            }
        }
        // Labels and visual helpers change nothing audible.
        "p" | "log" | "color" | "pianoroll" | "punchcard" | "scope" => pat,
        _ => return Err(format!("{name} is not a function")),
    };
    Ok(Val::Pat(out))
}

fn fraction_arg(value: &Val) -> Result<Frac, String> {
    match value {
        Val::Num(n) => Frac::from_f64(*n).ok_or_else(|| "bad number".into()),
        _ => Err("expected a number".into()),
    }
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
