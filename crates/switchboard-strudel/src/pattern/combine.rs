//! Combining patterns: structure from the left or the right (`app`),
//! flattening patterns of patterns (inner and squeeze joins), and the
//! boolean structure operators built on them (`mask`, `struct`).

use super::{Hap, Pattern, Value};

impl Pattern {
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

    /// Keeps the structure of `self` where `bools` is truthy.
    pub fn mask(&self, bools: &Pattern) -> Pattern {
        self.app_left(bools, |v, b| b.truthy().then(|| v.clone()))
    }

    /// Takes the structure of `bools`, keeping values of `self` where it is truthy.
    pub fn structure(&self, bools: &Pattern) -> Pattern {
        self.app_right(bools, |v, b| b.truthy().then(|| v.clone()))
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
