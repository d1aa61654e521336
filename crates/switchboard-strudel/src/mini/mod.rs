//! Mini-notation: the little language inside double-quoted strings
//! (`"bd*2 [sd cp]? <hh oh>"`), parsed into a tree and built into a pattern.
//! Randomness (`?`, `|`) is seeded per string by a counter that runs in
//! source order, as Strudel's parser counts.
//!
//! The parser (text to the `ast` tree) and the builder (tree to pattern) are
//! separate submodules; this module joins them.

use crate::pattern::Pattern;

mod ast;
mod build;
mod parser;

pub use build::choose_cycles;

/// A mini-notation error at a byte offset of the string's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MiniError {
    /// What is wrong.
    pub message: String,
    /// Byte offset in the string's content.
    pub offset: usize,
}

/// Parses and builds a mini-notation string.
pub fn parse(text: &str) -> Result<Pattern, MiniError> {
    build::build(&parser::parse(text)?)
}
