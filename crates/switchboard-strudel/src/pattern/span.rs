//! Time spans and what a query deals in: the half-open [`Span`], the
//! [`Hap`] (an event's whole and the part of it inside the query) and the
//! query [`State`].

use super::Value;
use super::budget::spend;
use crate::fraction::Frac;

/// A half-open time span `[begin, end)` in cycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start.
    pub begin: Frac,
    /// End.
    pub end: Frac,
}

impl Span {
    /// `[begin, end)`.
    pub fn new(begin: Frac, end: Frac) -> Span {
        Span { begin, end }
    }

    /// Splits at cycle boundaries; a zero-width span stays whole.
    pub fn cycles(self) -> Vec<Span> {
        if self.begin == self.end {
            return vec![self];
        }
        let mut pieces = Vec::new();
        let mut begin = self.begin;
        while begin < self.end && spend() {
            let end = begin.sam().add_one().min(self.end);
            pieces.push(Span::new(begin, end));
            begin = end;
        }
        pieces
    }

    /// Maps both ends.
    pub fn with_time(self, f: impl Fn(Frac) -> Frac) -> Span {
        Span::new(f(self.begin), f(self.end))
    }

    /// The overlap, if any. A zero-width overlap at the end of a non-zero
    /// span does not count.
    pub fn intersection(self, other: Span) -> Option<Span> {
        let begin = self.begin.max(other.begin);
        let end = self.end.min(other.end);
        if begin > end {
            return None;
        }
        if begin == end {
            if begin == self.end && self.begin < self.end {
                return None;
            }
            if begin == other.end && other.begin < other.end {
                return None;
            }
        }
        Some(Span::new(begin, end))
    }

    /// The cycle the span starts in, as a whole-cycle span.
    pub fn whole_cycle(self) -> Span {
        Span::new(self.begin.sam(), self.begin.sam().add_one())
    }
}

impl Frac {
    fn add_one(self) -> Frac {
        self + Frac::ONE
    }
}

/// An event: the value, the span it belongs to (`whole`, absent for
/// continuous signals) and the fragment of it inside the query (`part`).
#[derive(Debug, Clone, PartialEq)]
pub struct Hap {
    /// The event's full extent.
    pub whole: Option<Span>,
    /// The part inside the query.
    pub part: Span,
    /// What it carries.
    pub value: Value,
}

impl Hap {
    /// Whether this fragment holds the event's start.
    pub fn has_onset(&self) -> bool {
        self.whole
            .is_some_and(|whole| whole.begin == self.part.begin)
    }

    /// The whole, or the part for continuous haps.
    pub fn whole_or_part(&self) -> Span {
        self.whole.unwrap_or(self.part)
    }

    /// Maps both the whole and the part.
    pub(super) fn with_span(self, f: impl Fn(Span) -> Span) -> Hap {
        Hap {
            whole: self.whole.map(&f),
            part: f(self.part),
            value: self.value,
        }
    }
}

/// What a query carries besides its span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct State {
    /// The span asked for.
    pub span: Span,
    /// The seed added to time by `.seed(n)`.
    pub rand_seed: f64,
}

impl State {
    /// A query of `span`.
    pub fn new(span: Span) -> State {
        State {
            span,
            rand_seed: 0.0,
        }
    }

    /// The same query over another span.
    pub(super) fn with_span(self, span: Span) -> State {
        State { span, ..self }
    }
}
