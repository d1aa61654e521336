//! The metrics the comparison table lists: where each number sits in a
//! scenario's JSON result, how it is labelled, and which direction is better.

use crate::suite::Scenario;

/// Which direction is better for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Better {
    Higher,
    Lower,
}

/// One number a scenario reports, found by JSON pointer.
pub(super) struct Metric {
    pub(super) scenario: Scenario,
    pub(super) pointer: &'static str,
    pub(super) label: &'static str,
    pub(super) unit: &'static str,
    pub(super) better: Better,
}

/// The rows of the comparison table, in order.
pub(super) const METRICS: &[Metric] = &[
    Metric {
        scenario: Scenario::Idle,
        pointer: "/per_conn_bytes",
        label: "RSS per idle authenticated connection",
        unit: "B",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Fanout,
        pointer: "/msgs_per_s",
        label: "fan-out, messages delivered",
        unit: "/s",
        better: Better::Higher,
    },
    Metric {
        scenario: Scenario::Fanout,
        pointer: "/latency/p99_ms",
        label: "fan-out, publish → client p99",
        unit: "ms",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Ack,
        pointer: "/answered_per_s",
        label: "ack, answered",
        unit: "/s",
        better: Better::Higher,
    },
    Metric {
        scenario: Scenario::Ack,
        pointer: "/latency/p50_ms",
        label: "ack round trip p50",
        unit: "ms",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Ack,
        pointer: "/latency/p90_ms",
        label: "ack round trip p90",
        unit: "ms",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Ack,
        pointer: "/latency/p99_ms",
        label: "ack round trip p99",
        unit: "ms",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Ack,
        pointer: "/latency/p999_ms",
        label: "ack round trip p99.9",
        unit: "ms",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Handshake,
        pointer: "/per_s",
        label: "authenticated handshakes",
        unit: "/s",
        better: Better::Higher,
    },
    Metric {
        scenario: Scenario::Handshake,
        pointer: "/latency/p99_ms",
        label: "handshake p99",
        unit: "ms",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Stream,
        pointer: "/deltas_per_s",
        label: "Claude stream, text deltas delivered",
        unit: "/s",
        better: Better::Higher,
    },
];
