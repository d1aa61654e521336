//! Patterns: functions from a query span to the events ("haps") active in
//! it, with exact rational time, and the combinators everything else is
//! built from (structure from the left or right, joins, time changes).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

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

thread_local! {
    /// Work left for the current bounded query (`None`: unbounded).
    static BUDGET: Cell<Option<u64>> = const { Cell::new(None) };
    static EXHAUSTED: Cell<bool> = const { Cell::new(false) };
}

/// Takes one unit of work from the current budget; false once it is spent.
fn spend() -> bool {
    BUDGET.with(|budget| match budget.get() {
        None => true,
        Some(0) => {
            EXHAUSTED.with(|e| e.set(true));
            false
        }
        Some(left) => {
            budget.set(Some(left - 1));
            true
        }
    })
}

/// A query that would have needed more work than allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the pattern is too dense to query")]
pub struct TooDense;

/// Queries `[begin, end)` doing at most `budget` units of work (cycle
/// pieces and leaf events), so no pattern can exhaust memory or time.
pub fn query_bounded(
    pattern: &Pattern,
    begin: Frac,
    end: Frac,
    budget: u64,
) -> Result<Vec<Hap>, TooDense> {
    BUDGET.with(|b| b.set(Some(budget)));
    EXHAUSTED.with(|e| e.set(false));
    let haps = pattern.query_span(begin, end);
    BUDGET.with(|b| b.set(None));
    if EXHAUSTED.with(Cell::get) {
        return Err(TooDense);
    }
    Ok(haps)
}

/// A value carried by a hap: what JavaScript values a pattern holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number.
    Num(f64),
    /// A string (a sample name, a note name, a word).
    Str(String),
    /// A boolean (structure patterns).
    Bool(bool),
    /// A list (`"bd:3"` in mini-notation).
    List(Vec<Value>),
    /// Named controls (`{s: "bd", gain: 0.8}`).
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// JavaScript truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
            Value::Bool(b) => *b,
            Value::List(_) | Value::Map(_) => true,
        }
    }

    /// The number, if it is one (strings that parse as numbers count, as
    /// note names do: `"c3"` is 48).
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Str(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .or_else(|| crate::note::note_to_midi(s)),
            _ => None,
        }
    }

    /// As JSON, with integral numbers printed as integers (as JavaScript does).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Num(n) => number_json(*n),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::List(items) => items.iter().map(Value::to_json).collect(),
            Value::Map(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
}

/// A JavaScript number as JSON.
pub fn number_json(n: f64) -> serde_json::Value {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, Into::into)
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

    fn with_span(self, f: impl Fn(Span) -> Span) -> Hap {
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

    fn with_span(self, span: Span) -> State {
        State { span, ..self }
    }
}

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

    /// Structure from the left: each left hap takes values from the right
    /// haps active during its whole.
    pub fn app_left(
        &self,
        right: &Pattern,
        f: impl Fn(&Value, &Value) -> Option<Value> + Send + Sync + 'static,
    ) -> Pattern {
        app(self, right, true, f)
    }

    /// Structure from the right.
    pub fn app_right(
        &self,
        right: &Pattern,
        f: impl Fn(&Value, &Value) -> Option<Value> + Send + Sync + 'static,
    ) -> Pattern {
        app(self, right, false, f)
    }

    /// Flattens a pattern of patterns, wholes from the inner haps.
    pub fn inner_join(&self, inner: impl Fn(&Value) -> Pattern + Send + Sync + 'static) -> Pattern {
        let outer = self.clone();
        Pattern::new(move |state| {
            let mut out = Vec::new();
            for oh in outer.query(state) {
                let pat = inner(&oh.value);
                for ih in pat.query(&state.with_span(oh.part)) {
                    out.push(ih);
                }
            }
            out
        })
    }

    /// Flattens a pattern of patterns, squeezing a cycle of the inner
    /// pattern into each outer hap.
    pub fn squeeze_join(
        &self,
        inner: impl Fn(&Value) -> Pattern + Send + Sync + 'static,
    ) -> Pattern {
        let outer = self.clone();
        Pattern::new(move |state| {
            let mut out = Vec::new();
            for oh in outer.query(state) {
                let Some(whole) = oh.whole else { continue };
                let focused = inner(&oh.value).focus(whole);
                for ih in focused.query(&state.with_span(oh.part)) {
                    let Some(part) = ih.part.intersection(oh.part) else {
                        continue;
                    };
                    let whole = match ih.whole {
                        Some(w) => match w.intersection(whole) {
                            Some(w) => Some(w),
                            None => continue,
                        },
                        None => None,
                    };
                    out.push(Hap {
                        whole,
                        part,
                        value: ih.value,
                    });
                }
            }
            out
        })
    }

    /// Plays cycle `sam(span.begin)` of the pattern within `span`.
    fn focus(&self, span: Span) -> Pattern {
        let cycle = span.begin.sam();
        let duration = span.end - span.begin;
        self.early(cycle)
            .fast_frac(Frac::ONE / duration)
            .late(span.begin)
    }

    /// Plays faster by an exact factor; 0 is silence, negative reverses.
    pub fn fast_frac(&self, factor: Frac) -> Pattern {
        if factor.is_zero() {
            return Pattern::silence();
        }
        if factor < Frac::ZERO {
            return self.fast_frac(-factor).rev();
        }
        self.with_query_time(move |t| t * factor)
            .with_hap_time(move |t| t / factor)
    }

    /// Shifts earlier by `t` cycles.
    pub fn early(&self, t: Frac) -> Pattern {
        self.with_query_time(move |x| x + t)
            .with_hap_time(move |x| x - t)
    }

    /// Shifts later by `t` cycles.
    pub fn late(&self, t: Frac) -> Pattern {
        self.early(-t)
    }

    /// Each cycle backwards.
    pub fn rev(&self) -> Pattern {
        let pat = self.clone();
        Pattern::new(move |state| {
            let span = state.span;
            let cycle = span.begin.sam();
            let next = cycle + Frac::ONE;
            let reflect = move |t: Frac| cycle + (next - t);
            let reflected = Span::new(reflect(span.end), reflect(span.begin));
            pat.query(&state.with_span(reflected))
                .into_iter()
                .map(|hap| hap.with_span(|s| Span::new(reflect(s.end), reflect(s.begin))))
                .collect()
        })
        .split_queries()
    }

    /// Squeezes each cycle into `[begin, end)` of the same cycle, leaving the rest silent.
    pub fn compress(&self, begin: Frac, end: Frac) -> Pattern {
        if begin > end || begin < Frac::ZERO || end > Frac::ONE || begin == end {
            return Pattern::silence();
        }
        self.fast_gap(Frac::ONE / (end - begin)).late(begin)
    }

    /// Speeds up by `factor` but leaves a gap instead of playing the next cycle early.
    pub fn fast_gap(&self, factor: Frac) -> Pattern {
        if factor <= Frac::ZERO {
            return Pattern::silence();
        }
        let pat = self.clone();
        Pattern::new(move |state| {
            let span = state.span;
            let cycle = span.begin.sam();
            let munge = |t: Frac| cycle + ((t - cycle) * factor).min(Frac::ONE);
            let begin = munge(span.begin);
            let end = munge(span.end);
            if begin == cycle + Frac::ONE {
                return Vec::new();
            }
            let unmunge = |t: Frac| cycle + (t - cycle) / factor;
            pat.query(&state.with_span(Span::new(begin, end)))
                .into_iter()
                .filter_map(|hap| {
                    let part = hap.part.with_time(unmunge);
                    let part = part.intersection(span)?;
                    Some(Hap {
                        whole: hap.whole.map(|w| w.with_time(unmunge)),
                        part,
                        value: hap.value,
                    })
                })
                .collect()
        })
        .split_queries()
    }

    /// Keeps the structure of `self` where `bools` is truthy.
    pub fn mask(&self, bools: &Pattern) -> Pattern {
        self.app_left(bools, |v, b| b.truthy().then(|| v.clone()))
    }

    /// Takes the structure of `bools`, keeping values of `self` where it is truthy.
    pub fn structure(&self, bools: &Pattern) -> Pattern {
        self.app_right(bools, |v, b| b.truthy().then(|| v.clone()))
    }

    /// Repeats each cycle `n` times.
    pub fn repeat_cycles(&self, n: Frac) -> Pattern {
        let pat = self.clone();
        Pattern::new(move |state| {
            let cycle = state.span.begin.sam();
            let source = Frac::new((cycle / n).floor(), 1);
            let delta = cycle - source;
            pat.query(&state.with_span(state.span.with_time(|t| t - delta)))
                .into_iter()
                .map(|hap| hap.with_span(|s| s.with_time(|t| t + delta)))
                .collect()
        })
        .split_queries()
    }
}

/// Combines two patterns, wholes from the structure side: each of its haps
/// queries the other side over its whole; parts are intersected.
fn app(
    left: &Pattern,
    right: &Pattern,
    from_left: bool,
    f: impl Fn(&Value, &Value) -> Option<Value> + Send + Sync + 'static,
) -> Pattern {
    let (left, right) = (left.clone(), right.clone());
    let (structure, other) = if from_left {
        (left, right)
    } else {
        (right, left)
    };
    Pattern::new(move |state| {
        let mut out = Vec::new();
        for sh in structure.query(state) {
            for oh in other.query(&state.with_span(sh.whole_or_part())) {
                let Some(part) = sh.part.intersection(oh.part) else {
                    continue;
                };
                let (l, r) = if from_left {
                    (&sh.value, &oh.value)
                } else {
                    (&oh.value, &sh.value)
                };
                if let Some(value) = f(l, r) {
                    out.push(Hap {
                        whole: sh.whole,
                        part,
                        value,
                    });
                }
            }
        }
        out
    })
}

/// All patterns at once.
pub fn stack(patterns: Vec<Pattern>) -> Pattern {
    Pattern::new(move |state| patterns.iter().flat_map(|p| p.query(state)).collect())
}

/// One pattern per cycle, in turn; each sees its own consecutive cycles.
pub fn slowcat(patterns: Vec<Pattern>) -> Pattern {
    if patterns.is_empty() {
        return Pattern::silence();
    }
    let n = patterns.len() as i128;
    Pattern::new(move |state| {
        let cycle = state.span.begin.floor();
        let index = cycle.rem_euclid(n) as usize;
        let offset = Frac::new(cycle - cycle.div_euclid(n), 1);
        patterns[index]
            .query(&state.with_span(state.span.with_time(|t| t - offset)))
            .into_iter()
            .map(|hap| hap.with_span(|s| s.with_time(|t| t + offset)))
            .collect()
    })
    .split_queries()
}

/// Like [`slowcat`] but without shifting time: child `i` plays its own cycle `c` on turn `c`.
pub fn slowcat_prime(patterns: Vec<Pattern>) -> Pattern {
    if patterns.is_empty() {
        return Pattern::silence();
    }
    let n = patterns.len() as i128;
    Pattern::new(move |state| {
        let index = state.span.begin.floor().rem_euclid(n) as usize;
        patterns[index].query(state)
    })
    .split_queries()
}

/// All patterns in one cycle, equally long.
pub fn fastcat(patterns: Vec<Pattern>) -> Pattern {
    let n = patterns.len() as i64;
    if n == 0 {
        return Pattern::silence();
    }
    slowcat(patterns).fast_frac(Frac::int(n))
}

/// Patterns sharing a cycle in proportion to their weights.
pub fn timecat(parts: Vec<(Frac, Pattern)>) -> Pattern {
    let total = parts.iter().fold(Frac::ZERO, |sum, (w, _)| sum + *w);
    if parts.len() == 1 {
        return parts
            .into_iter()
            .next()
            .map(|(_, p)| p)
            .unwrap_or_else(Pattern::silence);
    }
    if total.is_zero() {
        return Pattern::silence();
    }
    let mut begin = Frac::ZERO;
    let mut out = Vec::with_capacity(parts.len());
    for (weight, pattern) in parts {
        let end = begin + weight;
        out.push(pattern.compress(begin / total, end / total));
        begin = end;
    }
    stack(out)
}
