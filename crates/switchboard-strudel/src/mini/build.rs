//! Building patterns from the mini-notation tree: atoms become `pure`
//! values, sequences `timecat`, and each step's operators apply in order.

use super::MiniError;
use super::ast::{Element, Node, Op};
use crate::fraction::Frac;
use crate::pattern::{Pattern, Value, fastcat, stack, timecat};
use crate::signal::{degrade_by_with, rand, rand_at};

/// `Number(text)` of JavaScript, for atoms.
fn js_number(text: &str) -> Option<f64> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|n| n as f64);
    }
    let plain = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if !plain {
        return None;
    }
    text.parse().ok()
}

fn atom(word: &str) -> Value {
    match js_number(word) {
        Some(n) => Value::Num(n),
        None => Value::Str(word.to_owned()),
    }
}

/// The pattern of a parsed tree.
pub(super) fn build(node: &Node) -> Result<Pattern, MiniError> {
    Ok(match node {
        Node::Atom(word) => Pattern::pure(atom(word)),
        Node::Silence => Pattern::silence(),
        Node::Sequence(elements) => {
            let mut parts = Vec::with_capacity(elements.len());
            let mut total = Frac::ZERO;
            for element in elements {
                total = total + element.weight;
                parts.push((element.weight, build_element(element)?));
            }
            let mut pattern = timecat(parts);
            pattern.weight = Some(total);
            pattern
        }
        Node::Stack(members) => stack(members.iter().map(build).collect::<Result<_, _>>()?),
        Node::Feet(members) => fastcat(members.iter().map(build).collect::<Result<_, _>>()?),
        Node::Choose(members, seed) => {
            let children: Vec<Pattern> = members.iter().map(build).collect::<Result<_, _>>()?;
            let offset = Frac::new(3 * i128::from(*seed), 10_000);
            let n = children.len();
            Pattern::new(move |state| {
                let cycle = state.span.begin.sam();
                let r = rand_at((cycle + offset).to_f64() + state.rand_seed);
                let index = ((r * n as f64).floor() as usize).min(n - 1);
                children[index].query(state)
            })
            .split_queries()
        }
        Node::Alternate(sequences) => stack(
            sequences
                .iter()
                .map(|s| {
                    let pattern = build(s)?;
                    let weight = pattern.weight.unwrap_or(Frac::ONE);
                    Ok(pattern.fast_frac(Frac::ONE / weight))
                })
                .collect::<Result<_, MiniError>>()?,
        ),
        Node::Polymeter(sequences, steps) => {
            let built: Vec<Pattern> = sequences.iter().map(build).collect::<Result<_, _>>()?;
            let steps = match steps {
                Some(element) => match &element.node {
                    Node::Atom(word) => {
                        js_number(word)
                            .and_then(Frac::from_f64)
                            .ok_or_else(|| MiniError {
                                message: "mini-notation: `%` needs a number".into(),
                                offset: 0,
                            })?
                    }
                    _ => {
                        return Err(MiniError {
                            message: "mini-notation: `%` needs a number".into(),
                            offset: 0,
                        });
                    }
                },
                None => built.first().and_then(|p| p.weight).unwrap_or(Frac::ONE),
            };
            stack(
                built
                    .into_iter()
                    .map(|p| {
                        let weight = p.weight.unwrap_or(Frac::ONE);
                        p.fast_frac(steps / weight)
                    })
                    .collect(),
            )
        }
    })
}

fn pure_number(element: &Element) -> Result<Option<Frac>, MiniError> {
    let pattern = build_element(element)?;
    Ok(pattern
        .pure
        .as_ref()
        .and_then(Value::as_number)
        .and_then(Frac::from_f64))
}

fn build_element(element: &Element) -> Result<Pattern, MiniError> {
    let mut pattern = build(&element.node)?;
    for op in &element.ops {
        pattern = match op {
            Op::Fast(factor) => match pure_number(factor)? {
                Some(f) => pattern.fast_frac(f),
                None => {
                    let (pat, factors) = (pattern.clone(), build_element(factor)?);
                    factors.inner_join(move |v| {
                        v.as_number()
                            .and_then(Frac::from_f64)
                            .map_or_else(Pattern::silence, |f| pat.fast_frac(f))
                    })
                }
            },
            Op::Slow(factor) => match pure_number(factor)? {
                Some(f) if !f.is_zero() => pattern.fast_frac(Frac::ONE / f),
                Some(_) => Pattern::silence(),
                None => {
                    let (pat, factors) = (pattern.clone(), build_element(factor)?);
                    factors.inner_join(move |v| {
                        v.as_number()
                            .and_then(Frac::from_f64)
                            .filter(|f| !f.is_zero())
                            .map_or_else(Pattern::silence, |f| pat.fast_frac(Frac::ONE / f))
                    })
                }
            },
            Op::Degrade(amount, seed) => {
                let offset = Frac::new(3 * i128::from(*seed), 10_000);
                degrade_by_with(
                    &pattern,
                    &rand().early(offset),
                    amount.unwrap_or(0.5),
                    false,
                )
            }
            Op::Euclid(args) => {
                let (pulses, steps, rotation) = &**args;
                let rotation = match rotation {
                    Some(r) => build_element(r)?,
                    None => Pattern::pure(Value::Num(0.0)),
                };
                crate::euclid::euclid_patterned(
                    &pattern,
                    &build_element(pulses)?,
                    &build_element(steps)?,
                    &rotation,
                )
            }
            Op::Tail(tail) => {
                let tail = build_element(tail)?;
                pattern.app_left(&tail, |a, b| {
                    let mut list = match a {
                        Value::List(items) => items.clone(),
                        other => vec![other.clone()],
                    };
                    list.push(b.clone());
                    Some(Value::List(list))
                })
            }
            Op::Range(end) => {
                let end = build_element(end)?;
                pattern.squeeze_join(move |a| {
                    let end = end.clone();
                    let a = a.as_number().unwrap_or(0.0);
                    end.squeeze_join(move |b| {
                        let b = b.as_number().unwrap_or(0.0);
                        let (from, to) = (a as i64, b as i64);
                        // A range longer than this is no rhythm anyone plays.
                        if from.abs_diff(to) > 1024 {
                            return Pattern::silence();
                        }
                        let values: Vec<Pattern> = if from <= to {
                            (from..=to)
                                .map(|v| Pattern::pure(Value::Num(v as f64)))
                                .collect()
                        } else {
                            (to..=from)
                                .rev()
                                .map(|v| Pattern::pure(Value::Num(v as f64)))
                                .collect()
                        };
                        fastcat(values)
                    })
                })
            }
        };
    }
    if element.reps > 1 {
        let reps = Frac::int(i64::from(element.reps));
        pattern = pattern.repeat_cycles(reps).fast_frac(reps);
    }
    Ok(pattern)
}

/// Picks `children[floor(rand * n)]` per cycle (for `chooseCycles`).
pub fn choose_cycles(children: Vec<Pattern>) -> Pattern {
    let n = children.len();
    if n == 0 {
        return Pattern::silence();
    }
    Pattern::new(move |state| {
        let r = rand_at(state.span.begin.sam().to_f64() + state.rand_seed);
        let index = ((r * n as f64).floor() as usize).min(n - 1);
        children[index].query(state)
    })
    .split_queries()
}
