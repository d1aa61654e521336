//! Haps as JSON lines, in the form `switchboard strudel events` prints and
//! the parity tests compare: `{"whole":[b,e]|null,"part":[b,e],"value":...}`
//! with exact `"n/d"` times, sorted as the oracle sorts.

use serde_json::{Value as Json, json};

use crate::fraction::Frac;
use crate::pattern::{Hap, Pattern, TooDense, query_bounded};

/// Work allowed for one `events` query.
const BUDGET: u64 = 2_000_000;

/// The haps of `[from, to)`, sorted by part start, whole start, value, part end.
pub fn query(
    pattern: &Pattern,
    from: Frac,
    to: Frac,
    onsets_only: bool,
) -> Result<Vec<Hap>, TooDense> {
    let mut haps: Vec<Hap> = query_bounded(pattern, from, to, BUDGET)?
        .into_iter()
        .filter(|hap| !onsets_only || hap.has_onset())
        .collect();
    haps.sort_by(|a, b| {
        a.part
            .begin
            .cmp(&b.part.begin)
            .then_with(|| {
                let wa = a.whole.map(|w| w.begin);
                let wb = b.whole.map(|w| w.begin);
                wa.cmp(&wb)
            })
            .then_with(|| {
                a.value
                    .to_json()
                    .to_string()
                    .cmp(&b.value.to_json().to_string())
            })
            .then_with(|| a.part.end.cmp(&b.part.end))
    });
    Ok(haps)
}

/// One hap as JSON.
pub fn to_json(hap: &Hap) -> Json {
    let span = |begin: Frac, end: Frac| json!([begin.to_string(), end.to_string()]);
    json!({
        "whole": hap.whole.map(|w| span(w.begin, w.end)),
        "part": span(hap.part.begin, hap.part.end),
        "value": hap.value.to_json(),
    })
}
