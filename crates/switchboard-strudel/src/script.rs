//! The JavaScript subset Strudel code is written in: statements of calls,
//! method chains, arrow functions, arrays, numbers with arithmetic and
//! strings (double-quoted and backtick strings are mini-notation), `const`/
//! `let`, `$:` and `name:` labels, comments. Errors carry line and column.

/// Where in the code, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column (in characters), from 1.
    pub column: usize,
}

/// A syntax or evaluation error with its position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (line {}, column {})", position.line, position.column)]
pub struct ScriptError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub position: Position,
}

/// The position of byte `offset` in `source`.
pub fn position(source: &str, offset: usize) -> Position {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Position { line, column }
}

/// An expression, with the byte offset it starts at.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number literal.
    Num(f64),
    /// A string; `mini` for double quotes and backticks. `offset` is where its content starts.
    Str {
        /// The content.
        text: String,
        /// Whether it is mini-notation.
        mini: bool,
        /// Byte offset of the content.
        offset: usize,
    },
    /// A name.
    Ident(String, usize),
    /// `[a, b]`.
    Array(Vec<Expr>),
    /// `f(args)`.
    Call(Box<Expr>, Vec<Expr>, usize),
    /// `object.name`.
    Member(Box<Expr>, String, usize),
    /// `(a, b) => body`.
    Arrow(Vec<String>, Box<Expr>),
    /// `a op b` for `+ - * / %`.
    Binary(char, Box<Expr>, Box<Expr>, usize),
    /// `-a`.
    Negate(Box<Expr>),
}

/// A statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// An expression, maybe labelled (`$: ...`, `drums: ...`).
    Expr(Expr, Option<String>),
    /// `const name = expr` / `let` / `var`.
    Let(String, Expr),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String, bool),
    Ident(String),
    Punct(&'static str),
    End,
}

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

/// Parses a whole program.
pub fn parse(src: &str) -> Result<Vec<Stmt>, ScriptError> {
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
    let mut parser = Parser {
        src,
        tokens,
        index: 0,
        depth: 0,
    };
    parser.program()
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<(Tok, usize, bool)>,
    index: usize,
    depth: usize,
}

/// Deepest nesting accepted (no input may exhaust the stack).
const MAX_DEPTH: usize = 200;
/// Longest method chain or sum accepted.
const MAX_LINKS: usize = 500;

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.index].0
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        &self.tokens[(self.index + ahead).min(self.tokens.len() - 1)].0
    }

    fn offset(&self) -> usize {
        self.tokens[self.index].1
    }

    fn newline_before(&self) -> bool {
        self.tokens[self.index].2
    }

    fn advance(&mut self) -> Tok {
        let tok = self.tokens[self.index].0.clone();
        if self.index < self.tokens.len() - 1 {
            self.index += 1;
        }
        tok
    }

    fn error(&self, message: &str) -> ScriptError {
        ScriptError {
            message: message.to_owned(),
            position: position(self.src, self.offset()),
        }
    }

    fn unexpected(&self) -> ScriptError {
        match self.peek() {
            Tok::End => self.error("unexpected end of code"),
            Tok::Punct(p) => self.error(&format!("unexpected `{p}`")),
            Tok::Ident(name) => self.error(&format!("unexpected `{name}`")),
            Tok::Num(_) => self.error("unexpected number"),
            Tok::Str(..) => self.error("unexpected string"),
        }
    }

    fn punct(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
    }

    fn expect(&mut self, p: &str) -> Result<(), ScriptError> {
        if self.punct(p) {
            self.advance();
            Ok(())
        } else {
            Err(self.error(&format!("expected `{p}`")))
        }
    }

    fn program(&mut self) -> Result<Vec<Stmt>, ScriptError> {
        let mut statements = Vec::new();
        loop {
            while self.punct(";") {
                self.advance();
            }
            if *self.peek() == Tok::End {
                return Ok(statements);
            }
            statements.push(self.statement()?);
            if !(self.punct(";") || *self.peek() == Tok::End || self.newline_before()) {
                return Err(self.unexpected());
            }
        }
    }

    fn statement(&mut self) -> Result<Stmt, ScriptError> {
        if let Tok::Ident(word) = self.peek().clone() {
            if matches!(word.as_str(), "const" | "let" | "var") {
                self.advance();
                let Tok::Ident(name) = self.advance() else {
                    return Err(self.error("expected a name"));
                };
                self.expect("=")?;
                return Ok(Stmt::Let(name, self.expression()?));
            }
            if matches!(self.peek_at(1), Tok::Punct(":")) {
                self.advance();
                self.advance();
                return Ok(Stmt::Expr(self.expression()?, Some(word)));
            }
        }
        Ok(Stmt::Expr(self.expression()?, None))
    }

    fn expression(&mut self) -> Result<Expr, ScriptError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("code nested too deeply"));
        }
        let result = self.arrow_or_additive();
        self.depth -= 1;
        result
    }

    fn arrow_or_additive(&mut self) -> Result<Expr, ScriptError> {
        // `x => ...`
        if let (Tok::Ident(name), Tok::Punct("=>")) = (self.peek().clone(), self.peek_at(1).clone())
        {
            self.advance();
            self.advance();
            return Ok(Expr::Arrow(vec![name], Box::new(self.expression()?)));
        }
        // `(a, b) => ...`
        if self.punct("(") {
            let mut i = 1;
            let mut names = Vec::new();
            loop {
                match self.peek_at(i) {
                    Tok::Ident(name) => names.push(name.clone()),
                    Tok::Punct(")") if matches!(self.peek_at(i + 1), Tok::Punct("=>")) => {
                        for _ in 0..i + 2 {
                            self.advance();
                        }
                        return Ok(Expr::Arrow(names, Box::new(self.expression()?)));
                    }
                    _ => break,
                }
                match self.peek_at(i + 1) {
                    Tok::Punct(",") => i += 2,
                    Tok::Punct(")") => i += 1,
                    _ => break,
                }
            }
        }
        self.additive()
    }

    /// Counts one more link of a chain or operand of a sum; long ones are
    /// refused (they would nest as deeply as brackets).
    fn link(&mut self, links: &mut usize) -> Result<(), ScriptError> {
        *links += 1;
        if *links > MAX_LINKS {
            return Err(self.error("expression too long"));
        }
        Ok(())
    }

    fn additive(&mut self) -> Result<Expr, ScriptError> {
        let mut links = 0;
        let mut left = self.multiplicative()?;
        while let Tok::Punct(op @ ("+" | "-")) = self.peek().clone() {
            self.link(&mut links)?;
            let at = self.offset();
            self.advance();
            let right = self.multiplicative()?;
            left = Expr::Binary(
                op.chars().next().unwrap_or('+'),
                Box::new(left),
                Box::new(right),
                at,
            );
        }
        Ok(left)
    }

    fn multiplicative(&mut self) -> Result<Expr, ScriptError> {
        let mut links = 0;
        let mut left = self.unary()?;
        while let Tok::Punct(op @ ("*" | "/" | "%")) = self.peek().clone() {
            self.link(&mut links)?;
            let at = self.offset();
            self.advance();
            let right = self.unary()?;
            left = Expr::Binary(
                op.chars().next().unwrap_or('*'),
                Box::new(left),
                Box::new(right),
                at,
            );
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ScriptError> {
        if self.punct("-") || self.punct("+") {
            let negate = self.punct("-");
            self.advance();
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.error("code nested too deeply"));
            }
            let inner = self.unary();
            self.depth -= 1;
            return if negate {
                Ok(Expr::Negate(Box::new(inner?)))
            } else {
                inner
            };
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Expr, ScriptError> {
        let mut links = 0;
        let mut expr = self.primary()?;
        loop {
            self.link(&mut links)?;
            if self.punct(".") {
                let at = self.offset();
                self.advance();
                let Tok::Ident(name) = self.advance() else {
                    return Err(self.error("expected a method name after `.`"));
                };
                expr = Expr::Member(Box::new(expr), name, at);
            } else if self.punct("(") {
                let at = self.offset();
                self.advance();
                let args = self.list(")")?;
                expr = Expr::Call(Box::new(expr), args, at);
            } else {
                return Ok(expr);
            }
        }
    }

    fn list(&mut self, close: &str) -> Result<Vec<Expr>, ScriptError> {
        let mut items = Vec::new();
        while !self.punct(close) {
            items.push(self.expression()?);
            if self.punct(",") {
                self.advance();
            } else if !self.punct(close) {
                return Err(self.error(&format!("expected `,` or `{close}`")));
            }
        }
        self.advance();
        Ok(items)
    }

    fn primary(&mut self) -> Result<Expr, ScriptError> {
        let at = self.offset();
        match self.advance() {
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Str(text, mini) => Ok(Expr::Str {
                text,
                mini,
                offset: at,
            }),
            Tok::Ident(name) => Ok(Expr::Ident(name, at)),
            Tok::Punct("(") => {
                let inner = self.expression()?;
                self.expect(")")?;
                Ok(inner)
            }
            Tok::Punct("[") => Ok(Expr::Array(self.list("]")?)),
            _ => {
                self.index = self.index.saturating_sub(1);
                Err(self.unexpected())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chains_arrows_labels_and_arithmetic() {
        let program = parse(
            "setcps(120/4/60)\n$: s(\"bd sd\")\n  .every(2, x => x.fast(2)) // comment\nconst p = note('c3')\ndrums: stack(p, [1, -.5]).off(1/8, (a) => a.add(12))",
        )
        .expect("parses");
        assert_eq!(program.len(), 4);
        assert!(matches!(&program[1], Stmt::Expr(_, Some(label)) if label == "$"));
        assert!(matches!(&program[2], Stmt::Let(name, _) if name == "p"));
        assert!(matches!(&program[3], Stmt::Expr(_, Some(label)) if label == "drums"));
    }

    #[test]
    fn errors_have_positions() {
        let error = parse("s(\"bd\")\n  .fast(2").expect_err("refused");
        assert_eq!(
            error.position,
            Position {
                line: 2,
                column: 10
            }
        );
        let error = parse("s(\"bd)").expect_err("refused");
        assert_eq!(error.position, Position { line: 1, column: 3 });
        assert!(parse("s(\"bd\") s(\"sd\")").is_err());
        assert!(parse(&"(".repeat(10_000)).is_err());
        assert!(parse("a @ b").is_err());
    }
}
