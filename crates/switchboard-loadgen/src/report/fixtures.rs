//! Records shared by the report tests: three repeats of idle and fan-out on
//! both servers, and one failed ack run.

use serde_json::{Value, json};

use crate::server::Kind;
use crate::suite::{Record, Scenario};

fn record(scenario: Scenario, server: Kind, repeat: usize, result: Value) -> Record {
    Record {
        scenario,
        server,
        repeat,
        result,
    }
}

/// Idle and fan-out three times on both servers, plus one failed ack run.
pub(super) fn sample() -> Vec<Record> {
    let mut records = Vec::new();
    for (repeat, (sb, node)) in [
        (9_000.0, 14_000.0),
        (9_500.0, 13_000.0),
        (8_000.0, 15_000.0),
    ]
    .into_iter()
    .enumerate()
    {
        records.push(record(Scenario::Idle, Kind::Switchboard, repeat, json!({"per_conn_bytes": sb, "levels": [{"connections": 1000, "rss_kib": 20_000, "per_conn_bytes": sb}]})));
        records.push(record(Scenario::Idle, Kind::Node, repeat, json!({"per_conn_bytes": node, "levels": [{"connections": 1000, "rss_kib": 60_000, "per_conn_bytes": node}]})));
        records.push(record(
            Scenario::Fanout,
            Kind::Switchboard,
            repeat,
            json!({"msgs_per_s": 700_000.0 + repeat as f64}),
        ));
        records.push(record(
            Scenario::Fanout,
            Kind::Node,
            repeat,
            json!({"msgs_per_s": 68_000.0}),
        ));
    }
    records.push(record(
        Scenario::Ack,
        Kind::Switchboard,
        0,
        json!({"error": "server gone"}),
    ));
    records
}
