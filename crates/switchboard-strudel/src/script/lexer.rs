//! The lexer: source text to tokens, skipping whitespace and comments and
//! noting whether a newline came before each token (statements may end at
//! one).

use super::{ScriptError, position};

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A number literal.
    Num(f64),
    /// A string's content; true for mini-notation (double quotes, backticks).
    Str(String, bool),
    /// A name or keyword.
    Ident(String),
    /// An operator or bracket.
    Punct(&'static str),
    /// The end of the code.
    End,
}

/// A token, the byte offset it starts at and whether a newline precedes it.
pub(super) type Token = (Tok, usize, bool);

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

const PUNCTS: &[&str] = &[
    "=>", "...", "(", ")", "[", "]", "{", "}", ",", ".", ";", ":", "+", "-", "*", "/", "%", "=",
    "?",
];

impl Lexer<'_> {
    fn error(&self, message: &str, at: usize) -> ScriptError {
        ScriptError {
            message: message.to_owned(),
            position: position(self.src, at),
        }
    }

    /// The next token and the byte offset it starts at (for strings, of the content).
    fn next(&mut self) -> Result<(Tok, usize, bool), ScriptError> {
        let mut newline = false;
        loop {
            let rest = &self.src[self.pos..];
            if let Some(c) = rest.chars().next()
                && c.is_whitespace()
            {
                newline |= c == '\n';
                self.pos += c.len_utf8();
            } else if rest.starts_with("//") {
                self.pos += rest.find('\n').unwrap_or(rest.len());
            } else if let Some(body) = rest.strip_prefix("/*") {
                let end = body
                    .find("*/")
                    .ok_or_else(|| self.error("unterminated comment", self.pos))?;
                newline |= rest[..end + 4].contains('\n');
                self.pos += end + 4;
            } else {
                break;
            }
        }
        let start = self.pos;
        let rest = &self.src[self.pos..];
        let Some(c) = rest.chars().next() else {
            return Ok((Tok::End, start, newline));
        };
        if c.is_ascii_digit() || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit())) {
            let mut end = 0;
            let bytes = rest.as_bytes();
            while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
                end += 1;
            }
            if end < bytes.len() && (bytes[end] == b'e' || bytes[end] == b'E') {
                let mut e = end + 1;
                if e < bytes.len() && (bytes[e] == b'+' || bytes[e] == b'-') {
                    e += 1;
                }
                if e < bytes.len() && bytes[e].is_ascii_digit() {
                    while e < bytes.len() && bytes[e].is_ascii_digit() {
                        e += 1;
                    }
                    end = e;
                }
            }
            let text = &rest[..end];
            let value = text
                .parse()
                .map_err(|_| self.error(&format!("invalid number `{text}`"), start))?;
            self.pos += end;
            return Ok((Tok::Num(value), start, newline));
        }
        if matches!(c, '"' | '\'' | '`') {
            let body = &rest[1..];
            let mut text = String::new();
            let mut chars = body.char_indices();
            loop {
                let Some((i, ch)) = chars.next() else {
                    return Err(self.error("unterminated string", start));
                };
                if ch == c {
                    self.pos += 1 + i + 1;
                    break;
                }
                if ch == '\n' && c != '`' && c != '"' {
                    return Err(self.error("unterminated string", start));
                }
                if ch == '\\' {
                    match chars.next() {
                        Some((_, 'n')) => text.push('\n'),
                        Some((_, 't')) => text.push('\t'),
                        Some((_, other)) => text.push(other),
                        None => return Err(self.error("unterminated string", start)),
                    }
                } else {
                    text.push(ch);
                }
            }
            return Ok((Tok::Str(text, c != '\''), start + 1, newline));
        }
        if c.is_alphabetic() || c == '_' || c == '$' {
            let end = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '$'))
                .unwrap_or(rest.len());
            self.pos += end;
            return Ok((Tok::Ident(rest[..end].to_owned()), start, newline));
        }
        for punct in PUNCTS {
            if rest.starts_with(punct) {
                self.pos += punct.len();
                return Ok((Tok::Punct(punct), start, newline));
            }
        }
        Err(self.error(&format!("unexpected character `{c}`"), start))
    }
}

/// Every token of `src`, ending with [`Tok::End`].
pub(super) fn tokenize(src: &str) -> Result<Vec<Token>, ScriptError> {
    let mut lexer = Lexer { src, pos: 0 };
    let mut tokens = Vec::new();
    loop {
        let (tok, at, newline) = lexer.next()?;
        let end = tok == Tok::End;
        tokens.push((tok, at, newline));
        if end {
            break;
        }
        if tokens.len() > 200_000 {
            return Err(ScriptError {
                message: "program too long".into(),
                position: position(src, at),
            });
        }
    }
    Ok(tokens)
}
