//! The syntax tree of a program: statements of expressions, each carrying
//! the byte offset errors are reported at.

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
