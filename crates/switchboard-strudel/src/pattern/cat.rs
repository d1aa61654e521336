//! Putting patterns together in time: all at once (`stack`), one per cycle
//! (`slowcat`), all in one cycle (`fastcat`) or in proportion to weights
//! (`timecat`).

use super::Pattern;
use crate::fraction::Frac;

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
