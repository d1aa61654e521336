//! Evaluates a parsed program into a pattern: names, calls, method chains
//! and curried functions (`every(2, fast(2))`), with Strudel's rule for
//! arguments: plain values apply directly, patterned ones through a join.
//!
//! This module is the interpreter core (statements, expressions, scopes);
//! runtime values and their conversion to patterns live in `value`, the
//! free functions and globals in `functions`, and the pattern methods,
//! grouped by family, in `methods`.

use std::collections::HashMap;
use std::sync::Arc;

use crate::mini;
use crate::pattern::{Pattern, stack};
use crate::script::{self, Expr, ScriptError, Stmt, position};

mod functions;
mod methods;
mod value;

use functions::{call_function, global};
use methods::call_method;
use value::{Val, number_arg, reify};

/// What evaluation produced.
#[derive(Debug, Clone)]
pub struct Program {
    /// The pattern to play.
    pub pattern: Pattern,
    /// Cycles per second (`setcps`/`setcpm`; default 0.5).
    pub cps: f64,
}

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
