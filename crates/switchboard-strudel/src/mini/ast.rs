//! The mini-notation tree the parser produces and the builder consumes.

use crate::fraction::Frac;

/// A step or a group of steps.
#[derive(Debug, Clone)]
pub(super) enum Node {
    /// A word or number.
    Atom(String),
    /// `~` or `-`.
    Silence,
    /// A weighted sequence of elements.
    Sequence(Vec<Element>),
    /// `a, b`: all at once.
    Stack(Vec<Node>),
    /// `a | b`: one at random per cycle, with its seed.
    Choose(Vec<Node>, u32),
    /// `a . b`: each in an equal share of the cycle.
    Feet(Vec<Node>),
    /// `< ... >`, one step per cycle.
    Alternate(Vec<Node>),
    /// `{ ... }%steps`.
    Polymeter(Vec<Node>, Option<Box<Element>>),
}

/// One step of a sequence with its operators, weight and repetitions.
#[derive(Debug, Clone)]
pub(super) struct Element {
    pub(super) node: Node,
    pub(super) ops: Vec<Op>,
    pub(super) weight: Frac,
    pub(super) reps: u32,
}

/// An operator attached to a step, applied in source order.
#[derive(Debug, Clone)]
pub(super) enum Op {
    /// `*factor`.
    Fast(Element),
    /// `/factor`.
    Slow(Element),
    /// `?amount`, with its seed.
    Degrade(Option<f64>, u32),
    /// `(pulses, steps, rotation)`.
    Euclid(Box<(Element, Element, Option<Element>)>),
    /// `:tail`, making a list.
    Tail(Element),
    /// `..end`, a run of integers.
    Range(Element),
}
