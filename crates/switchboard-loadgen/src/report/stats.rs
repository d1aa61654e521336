//! Statistics over repeats: the median and range of one metric, taken over
//! the successful runs of a scenario on one server.

use serde_json::Value;

use crate::server::Kind;
use crate::suite::{Record, Scenario};

/// Median and range of one metric over repeats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Median.
    pub median: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`; `None` when empty.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = match n {
            0 => return None,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Some(Spread {
            median,
            min: sorted[0],
            max: sorted[n - 1],
        })
    }
}

/// The values of `pointer` in the successful runs of `scenario` on `server`.
fn values(records: &[Record], scenario: Scenario, server: Kind, pointer: &str) -> Vec<f64> {
    records
        .iter()
        .filter(|r| r.scenario == scenario && r.server == server && !r.failed())
        .filter_map(|r| r.result.pointer(pointer).and_then(Value::as_f64))
        .collect()
}

/// The spread of a metric.
pub fn spread(
    records: &[Record],
    scenario: Scenario,
    server: Kind,
    pointer: &str,
) -> Option<Spread> {
    Spread::of(&values(records, scenario, server, pointer))
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn spreads_are_medians_and_ranges() {
        assert_eq!(
            Spread::of(&[3.0, 1.0, 2.0]),
            Some(Spread {
                median: 2.0,
                min: 1.0,
                max: 3.0
            })
        );
        assert_eq!(Spread::of(&[4.0, 1.0]).unwrap().median, 2.5);
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(Spread::of(&[f64::NAN]), None);
    }
}
