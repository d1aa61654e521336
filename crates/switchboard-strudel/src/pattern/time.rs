//! Time-structure operators: speeding up and slowing down, shifting,
//! reversing, squeezing into part of a cycle and repeating cycles.

use super::{Hap, Pattern, Span};
use crate::fraction::Frac;

impl Pattern {
    /// Plays cycle `sam(span.begin)` of the pattern within `span`.
    pub(super) fn focus(&self, span: Span) -> Pattern {
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
