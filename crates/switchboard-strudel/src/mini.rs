//! Mini-notation: the little language inside double-quoted strings
//! (`"bd*2 [sd cp]? <hh oh>"`), parsed into a tree and built into a pattern.
//! Randomness (`?`, `|`) is seeded per string by a counter that runs in
//! source order, as Strudel's parser counts.

use crate::fraction::Frac;
use crate::pattern::{Pattern, Value, fastcat, stack, timecat};
use crate::signal::{degrade_by_with, rand, rand_at};

/// A mini-notation error at a byte offset of the string's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MiniError {
    /// What is wrong.
    pub message: String,
    /// Byte offset in the string's content.
    pub offset: usize,
}

#[derive(Debug, Clone)]
enum Node {
    Atom(String),
    Silence,
    /// A weighted sequence of elements.
    Sequence(Vec<Element>),
    Stack(Vec<Node>),
    Choose(Vec<Node>, u32),
    Feet(Vec<Node>),
    /// `< ... >`, one step per cycle.
    Alternate(Vec<Node>),
    /// `{ ... }%steps`.
    Polymeter(Vec<Node>, Option<Box<Element>>),
}

#[derive(Debug, Clone)]
struct Element {
    node: Node,
    ops: Vec<Op>,
    weight: Frac,
    reps: u32,
}

#[derive(Debug, Clone)]
enum Op {
    Fast(Element),
    Slow(Element),
    Degrade(Option<f64>, u32),
    Euclid(Box<(Element, Element, Option<Element>)>),
    Tail(Element),
    Range(Element),
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    seed: u32,
    depth: usize,
}

/// Deepest bracket nesting accepted.
const MAX_DEPTH: usize = 64;
/// Most repetitions (`!`) of one step.
const MAX_REPS: u32 = 10_000;

/// Parses and builds a mini-notation string.
pub fn parse(text: &str) -> Result<Pattern, MiniError> {
    let mut parser = Parser {
        text,
        pos: 0,
        seed: 0,
        depth: 0,
    };
    parser.ws();
    let node = parser.stack_or_choose()?;
    parser.ws();
    if parser.pos < text.len() {
        return Err(parser.error(&format!("unexpected `{}`", parser.rest_char())));
    }
    build(&node)
}

fn is_step_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '~' | '-' | '#' | '.' | '^' | '_')
}

impl Parser<'_> {
    fn error(&self, message: &str) -> MiniError {
        MiniError {
            message: format!("mini-notation: {message} at position {}", self.pos),
            offset: self.pos,
        }
    }

    fn rest_char(&self) -> char {
        self.text[self.pos..].chars().next().unwrap_or(' ')
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn starts(&self, s: &str) -> bool {
        self.text[self.pos..].starts_with(s)
    }

    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            if matches!(c, ' ' | '\n' | '\r' | '\t' | '\u{a0}') {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// Whether a lone `.` separator (not a step, not `..`) is next.
    fn at_foot(&self) -> bool {
        if !self.starts(".") || self.starts("..") {
            return false;
        }
        let after = self.text[self.pos + 1..].chars().next();
        after.is_none_or(|c| !is_step_char(c) || c == '.')
    }

    fn stack_or_choose(&mut self) -> Result<Node, MiniError> {
        let first = self.sequence()?;
        self.ws();
        let separator = match self.peek() {
            Some(',') => ',',
            Some('|') => '|',
            _ if self.at_foot() => '.',
            _ => return Ok(first),
        };
        let mut members = vec![first];
        loop {
            self.ws();
            let next_is_sep = match separator {
                '.' => self.at_foot(),
                c => self.peek() == Some(c),
            };
            if !next_is_sep {
                break;
            }
            self.pos += 1;
            self.ws();
            members.push(self.sequence()?);
            self.ws();
            if matches!(self.peek(), Some(',' | '|')) && self.peek() != Some(separator) {
                return Err(self.error("cannot mix `,`, `|` and `.` at one level"));
            }
        }
        Ok(match separator {
            ',' => Node::Stack(members),
            '|' => {
                let seed = self.seed;
                self.seed += 1;
                Node::Choose(members, seed)
            }
            _ => {
                self.seed += 1;
                Node::Feet(members)
            }
        })
    }

    fn sequence(&mut self) -> Result<Node, MiniError> {
        self.ws();
        self.eat('^');
        let mut elements: Vec<Element> = Vec::new();
        loop {
            self.ws();
            match self.peek() {
                None | Some(']' | '>' | '}' | ',' | '|' | ')') => break,
                _ if self.at_foot() => break,
                Some('_') if !self.text[self.pos + 1..].starts_with(is_step_char) => {
                    let Some(last) = elements.last_mut() else {
                        return Err(self.error("`_` needs a step before it"));
                    };
                    self.pos += 1;
                    last.weight = last.weight + Frac::ONE;
                }
                Some('!') => {
                    // A bare `!` repeats the previous step.
                    let Some(last) = elements.last_mut() else {
                        return Err(self.error("`!` needs a step before it"));
                    };
                    self.pos += 1;
                    let amount = self.number()?.map_or(2, |n| n as u32);
                    last.reps = last.reps.saturating_add(amount.saturating_sub(1));
                    if last.reps > MAX_REPS {
                        return Err(self.error("too many repetitions"));
                    }
                    last.weight = Frac::int(i64::from(last.reps));
                }
                _ => elements.push(self.slice_with_ops()?),
            }
        }
        if elements.is_empty() {
            return Err(self.error("expected a step"));
        }
        Ok(Node::Sequence(elements))
    }

    fn number(&mut self) -> Result<Option<f64>, MiniError> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut end = start;
        if bytes.get(end) == Some(&b'-') {
            end += 1;
        }
        let digits = end;
        while bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == digits {
            return Ok(None);
        }
        if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
            end += 1;
            while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            let mut e = end + 1;
            if matches!(bytes.get(e), Some(b'+' | b'-')) {
                e += 1;
            }
            if bytes.get(e).is_some_and(u8::is_ascii_digit) {
                while bytes.get(e).is_some_and(u8::is_ascii_digit) {
                    e += 1;
                }
                end = e;
            }
        }
        self.pos = end;
        self.text[start..end]
            .parse()
            .map(Some)
            .map_err(|_| self.error("bad number"))
    }

    fn slice_with_ops(&mut self) -> Result<Element, MiniError> {
        let node = self.slice()?;
        let mut element = Element {
            node,
            ops: Vec::new(),
            weight: Frac::ONE,
            reps: 1,
        };
        loop {
            // `@`, `_` and `!` may follow whitespace; the others attach directly.
            let before = self.pos;
            self.ws();
            match self.peek() {
                Some('@') => {
                    self.pos += 1;
                    let amount = self.number()?.unwrap_or(2.0);
                    let amount = Frac::from_f64(amount).ok_or_else(|| self.error("bad weight"))?;
                    element.weight = element.weight + amount - Frac::ONE;
                    continue;
                }
                Some('!') if before == self.pos => {
                    self.pos += 1;
                    let amount = self.number()?.map_or(2, |n| n as u32);
                    element.reps = element.reps.saturating_add(amount.saturating_sub(1));
                    if element.reps > MAX_REPS {
                        return Err(self.error("too many repetitions"));
                    }
                    element.weight = Frac::int(i64::from(element.reps));
                    continue;
                }
                _ if self.starts("..") => {
                    self.pos += 2;
                    self.ws();
                    let end = self.slice_element()?;
                    element.ops.push(Op::Range(end));
                    continue;
                }
                _ => {}
            }
            self.pos = before;
            match self.peek() {
                Some('*') => {
                    self.pos += 1;
                    let factor = self.slice_element()?;
                    element.ops.push(Op::Fast(factor));
                }
                Some('/') => {
                    self.pos += 1;
                    let factor = self.slice_element()?;
                    element.ops.push(Op::Slow(factor));
                }
                Some('?') => {
                    self.pos += 1;
                    let amount = self.number()?;
                    let seed = self.seed;
                    self.seed += 1;
                    element.ops.push(Op::Degrade(amount, seed));
                }
                Some(':') => {
                    self.pos += 1;
                    let tail = self.slice_element()?;
                    element.ops.push(Op::Tail(tail));
                }
                Some('(') => {
                    self.pos += 1;
                    self.ws();
                    let pulses = self.slice_with_ops()?;
                    self.ws();
                    if !self.eat(',') {
                        return Err(self.error("expected `,` in euclid"));
                    }
                    self.ws();
                    let steps = self.slice_with_ops()?;
                    self.ws();
                    let rotation = if self.eat(',') {
                        self.ws();
                        Some(self.slice_with_ops()?)
                    } else {
                        None
                    };
                    self.ws();
                    if !self.eat(')') {
                        return Err(self.error("expected `)`"));
                    }
                    element
                        .ops
                        .push(Op::Euclid(Box::new((pulses, steps, rotation))));
                }
                _ => break,
            }
        }
        Ok(element)
    }

    fn slice_element(&mut self) -> Result<Element, MiniError> {
        Ok(Element {
            node: self.slice()?,
            ops: Vec::new(),
            weight: Frac::ONE,
            reps: 1,
        })
    }

    fn slice(&mut self) -> Result<Node, MiniError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("brackets nested too deeply"));
        }
        let node = self.slice_inner();
        self.depth -= 1;
        node
    }

    fn slice_inner(&mut self) -> Result<Node, MiniError> {
        match self.peek() {
            Some('[') => {
                self.pos += 1;
                self.ws();
                let node = self.stack_or_choose()?;
                self.ws();
                if !self.eat(']') {
                    return Err(self.error("expected `]`"));
                }
                Ok(node)
            }
            Some('<') => {
                self.pos += 1;
                let sequences = self.poly_members()?;
                if !self.eat('>') {
                    return Err(self.error("expected `>`"));
                }
                Ok(Node::Alternate(sequences))
            }
            Some('{') => {
                self.pos += 1;
                let sequences = self.poly_members()?;
                if !self.eat('}') {
                    return Err(self.error("expected `}`"));
                }
                let steps = if self.eat('%') {
                    Some(Box::new(self.slice_element()?))
                } else {
                    None
                };
                Ok(Node::Polymeter(sequences, steps))
            }
            _ => self.step(),
        }
    }

    fn poly_members(&mut self) -> Result<Vec<Node>, MiniError> {
        let mut sequences = vec![self.sequence()?];
        self.ws();
        while self.eat(',') {
            sequences.push(self.sequence()?);
            self.ws();
        }
        Ok(sequences)
    }

    fn step(&mut self) -> Result<Node, MiniError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if !is_step_char(c) || self.starts("..") && self.pos > start {
                break;
            }
            self.pos += c.len_utf8();
        }
        let word = &self.text[start..self.pos];
        if word.is_empty() {
            return Err(self.error(&format!("unexpected `{}`", self.rest_char())));
        }
        if word == "." || word == "_" {
            self.pos = start;
            return Err(self.error(&format!("unexpected `{word}`")));
        }
        Ok(match word {
            "~" | "-" => Node::Silence,
            _ => Node::Atom(word.to_owned()),
        })
    }
}

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

fn build(node: &Node) -> Result<Pattern, MiniError> {
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
