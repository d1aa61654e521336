//! Patterns: functions from a query span to the events ("haps") active in
//! it, with exact rational time, and the combinators everything else is
//! built from (structure from the left or right, joins, time changes).
//!
//! This module owns the [`Pattern`] type, its query and the value and span
//! mappings; the rest is split by concept: spans and haps ([`Span`],
//! [`Hap`], [`State`]), hap values ([`Value`]), the query work budget,
//! combining patterns (`app`, joins), time-structure operators (`fast`,
//! `rev`, `compress`) and concatenation (`stack`, `slowcat`, `timecat`).

use std::fmt;
use std::sync::Arc;

use crate::fraction::Frac;

mod budget;
mod cat;
mod combine;
mod span;
mod time;
mod value;

use budget::spend;

pub use budget::{TooDense, query_bounded};
pub use cat::{fastcat, slowcat, slowcat_prime, stack, timecat};
pub use span::{Hap, Span, State};
pub use value::{Value, number_json};

type Query = dyn Fn(&State) -> Vec<Hap> + Send + Sync;

/// A pattern; cheap to clone.
#[derive(Clone)]
pub struct Pattern {
    query: Arc<Query>,
    /// Set when the pattern is `pure(value)`: functions with plain
    /// arguments are applied directly instead of through a join.
    pub pure: Option<Value>,
    /// The sequence weight recorded by mini-notation (`<a b@2>`).
    pub weight: Option<Frac>,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pattern").field("pure", &self.pure).finish()
    }
}

impl Pattern {
    /// A pattern from its query.
    pub fn new(query: impl Fn(&State) -> Vec<Hap> + Send + Sync + 'static) -> Pattern {
        Pattern {
            query: Arc::new(query),
            pure: None,
            weight: None,
        }
    }

    /// The haps of a query.
    pub fn query(&self, state: &State) -> Vec<Hap> {
        (self.query)(state)
    }

    /// The haps of `[begin, end)`.
    pub fn query_span(&self, begin: Frac, end: Frac) -> Vec<Hap> {
        self.query(&State::new(Span::new(begin, end)))
    }

    /// Nothing, ever.
    pub fn silence() -> Pattern {
        Pattern::new(|_| Vec::new())
    }

    /// `value` once per cycle.
    pub fn pure(value: Value) -> Pattern {
        let v = value.clone();
        let mut pattern = Pattern::new(move |state| {
            state
                .span
                .cycles()
                .into_iter()
                .map(|part| Hap {
                    whole: Some(part.whole_cycle()),
                    part,
                    value: v.clone(),
                })
                .collect()
        });
        pattern.pure = Some(value);
        pattern
    }

    /// A continuous value sampled at the start of each query.
    pub fn signal(f: impl Fn(Frac, f64) -> Value + Send + Sync + 'static) -> Pattern {
        Pattern::new(move |state| {
            if !spend() {
                return Vec::new();
            }
            vec![Hap {
                whole: None,
                part: state.span,
                value: f(state.span.begin, state.rand_seed),
            }]
        })
    }

    /// Queries one cycle at a time.
    pub fn split_queries(&self) -> Pattern {
        let pat = self.clone();
        Pattern::new(move |state| {
            state
                .span
                .cycles()
                .into_iter()
                .flat_map(|span| pat.query(&state.with_span(span)))
                .collect()
        })
    }

    /// Changes every value.
    pub fn fmap(&self, f: impl Fn(&Value) -> Value + Send + Sync + 'static) -> Pattern {
        let pat = self.clone();
        let mut out = Pattern::new(move |state| {
            pat.query(state)
                .into_iter()
                .map(|hap| Hap {
                    value: f(&hap.value),
                    ..hap
                })
                .collect()
        });
        out.weight = self.weight;
        out
    }

    /// Changes every value, dropping haps whose value has no image.
    pub fn filter_map_values(
        &self,
        f: impl Fn(&Value) -> Option<Value> + Send + Sync + 'static,
    ) -> Pattern {
        let pat = self.clone();
        Pattern::new(move |state| {
            pat.query(state)
                .into_iter()
                .filter_map(|hap| {
                    Some(Hap {
                        value: f(&hap.value)?,
                        ..hap
                    })
                })
                .collect()
        })
    }

    /// Keeps haps whose value passes.
    pub fn filter_values(&self, keep: impl Fn(&Value) -> bool + Send + Sync + 'static) -> Pattern {
        let pat = self.clone();
        Pattern::new(move |state| {
            pat.query(state)
                .into_iter()
                .filter(|hap| keep(&hap.value))
                .collect()
        })
    }

    /// Keeps haps that pass.
    pub fn filter_haps(&self, keep: impl Fn(&Hap) -> bool + Send + Sync + 'static) -> Pattern {
        let pat = self.clone();
        Pattern::new(move |state| pat.query(state).into_iter().filter(|h| keep(h)).collect())
    }

    /// Changes the query span.
    pub fn with_query_span(&self, f: impl Fn(Span) -> Span + Send + Sync + 'static) -> Pattern {
        let pat = self.clone();
        Pattern::new(move |state| pat.query(&state.with_span(f(state.span))))
    }

    /// Changes the query time.
    pub fn with_query_time(&self, f: impl Fn(Frac) -> Frac + Send + Sync + 'static) -> Pattern {
        self.with_query_span(move |span| span.with_time(&f))
    }

    /// Changes the spans of the results.
    pub fn with_hap_span(&self, f: impl Fn(Span) -> Span + Send + Sync + 'static) -> Pattern {
        let pat = self.clone();
        Pattern::new(move |state| {
            pat.query(state)
                .into_iter()
                .map(|hap| hap.with_span(&f))
                .collect()
        })
    }

    /// Changes the times of the results.
    pub fn with_hap_time(&self, f: impl Fn(Frac) -> Frac + Send + Sync + 'static) -> Pattern {
        self.with_hap_span(move |span| span.with_time(&f))
    }
}
