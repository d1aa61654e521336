//! The targets the comparison aims for, each judged met or missed on the
//! medians.

use super::numbers::human;
use super::stats::spread;
use crate::server::Kind;
use crate::suite::{Record, Scenario};

/// One target of the comparison and how it went.
#[derive(Debug, PartialEq)]
pub struct Target {
    /// What is aimed for.
    pub name: &'static str,
    /// The median measured.
    pub measured: String,
    /// Met, missed, or not measured.
    pub met: Option<bool>,
}

/// The four targets, judged on the medians.
pub fn targets(records: &[Record]) -> Vec<Target> {
    let sb =
        |scenario, pointer| spread(records, scenario, Kind::Switchboard, pointer).map(|s| s.median);
    let node = |scenario, pointer| spread(records, scenario, Kind::Node, pointer).map(|s| s.median);
    let memory = sb(Scenario::Idle, "/per_conn_bytes");
    let fanout = sb(Scenario::Fanout, "/msgs_per_s").zip(node(Scenario::Fanout, "/msgs_per_s"));
    let ack_p99 = sb(Scenario::Ack, "/latency/p99_ms");
    let ack_rate = sb(Scenario::Ack, "/answered_per_s");
    let handshakes = sb(Scenario::Handshake, "/per_s");
    vec![
        Target {
            name: "at most 10 kB RSS per idle authenticated connection",
            measured: memory.map_or("—".into(), |m| format!("{} B", human(m))),
            met: memory.map(|m| m <= 10_000.0),
        },
        Target {
            name: "fan-out at least 10× the Node server",
            measured: fanout.map_or("—".into(), |(s, n)| format!("{:.1}×", s / n)),
            met: fanout.map(|(s, n)| s >= 10.0 * n),
        },
        Target {
            name: "ack p99 at most 1 ms at 20k req/s",
            measured: ack_p99.zip(ack_rate).map_or("—".into(), |(p99, rate)| {
                format!("{p99:.3} ms at {} req/s", human(rate))
            }),
            met: ack_p99
                .zip(ack_rate)
                .map(|(p99, rate)| p99 <= 1.0 && rate >= 19_000.0),
        },
        Target {
            name: "10k authenticated handshakes/s",
            measured: handshakes.map_or("—".into(), |h| format!("{}/s", human(h))),
            met: handshakes.map(|h| h >= 10_000.0),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::targets;
    use crate::report::fixtures::sample;

    #[test]
    fn targets_are_judged_on_medians_and_failures_do_not_count() {
        let records = sample();
        let targets = targets(&records);
        assert_eq!(targets[0].met, Some(true), "median 9,000 B");
        assert_eq!(targets[0].measured, "9,000 B");
        assert_eq!(targets[1].met, Some(true), "{:?}", targets[1]);
        assert_eq!(targets[2].met, None, "the only ack run failed");
        assert_eq!(targets[3].met, None);
    }
}
