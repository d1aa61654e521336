//! The work budget of a bounded query: a thread-local count of cycle pieces
//! and leaf events that every query spends from, so no pattern can exhaust
//! memory or time.

use std::cell::Cell;

use super::{Hap, Pattern};
use crate::fraction::Frac;

thread_local! {
    /// Work left for the current bounded query (`None`: unbounded).
    static BUDGET: Cell<Option<u64>> = const { Cell::new(None) };
    static EXHAUSTED: Cell<bool> = const { Cell::new(false) };
}

/// Takes one unit of work from the current budget; false once it is spent.
pub(super) fn spend() -> bool {
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
