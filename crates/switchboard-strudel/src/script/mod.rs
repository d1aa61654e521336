//! The JavaScript subset Strudel code is written in: statements of calls,
//! method chains, arrow functions, arrays, numbers with arithmetic and
//! strings (double-quoted and backtick strings are mini-notation), `const`/
//! `let`, `$:` and `name:` labels, comments. Errors carry line and column.
//!
//! The lexer (text to tokens) and the parser (tokens to the `ast` of
//! statements and expressions) are separate submodules; this module holds
//! what both report errors with.

mod ast;
mod lexer;
mod parser;

pub use ast::{Expr, Stmt};
pub use parser::parse;

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
