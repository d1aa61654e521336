//! The parser: tokens to statements and expressions by recursive descent,
//! with nesting and chain length bounded so no input exhausts the stack.

use super::ast::{Expr, Stmt};
use super::lexer::{Tok, Token, tokenize};
use super::{ScriptError, position};

/// Parses a whole program.
pub fn parse(src: &str) -> Result<Vec<Stmt>, ScriptError> {
    let tokens = tokenize(src)?;
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
    tokens: Vec<Token>,
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
    use crate::script::Position;

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
