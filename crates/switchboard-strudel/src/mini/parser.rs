//! The mini-notation parser: text to the `Node` tree, with errors at byte
//! offsets and the source-order seed counter for `?` and `|`.

use super::MiniError;
use super::ast::{Element, Node, Op};
use crate::fraction::Frac;

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

/// Parses a whole mini-notation string into its tree.
pub(super) fn parse(text: &str) -> Result<Node, MiniError> {
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
    Ok(node)
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
