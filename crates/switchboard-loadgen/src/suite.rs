//! A whole comparison: every scenario against both servers, interleaved
//! (the order of the servers alternates between repeats), each run on a
//! freshly started server, every result printed as one JSON line.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::scenario::{self, Bench, ScenarioError};
use crate::server::{Kind, Launcher};
use crate::target::Target;
use crate::token::Minter;

/// The scenarios in the order a repeat runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// See [`scenario::idle`].
    Idle,
    /// See [`scenario::fanout`].
    Fanout,
    /// See [`scenario::ack`].
    Ack,
    /// See [`scenario::handshake`].
    Handshake,
    /// See [`scenario::stream`].
    Stream,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 5] = [
        Scenario::Idle,
        Scenario::Fanout,
        Scenario::Ack,
        Scenario::Handshake,
        Scenario::Stream,
    ];

    /// Whether the Node reference implements the product work it needs
    /// (it has no Claude runner).
    fn runs_on(self, kind: Kind) -> bool {
        self != Scenario::Stream || kind == Kind::Switchboard
    }
}

/// The size of every scenario in a suite.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Repeats of the whole set.
    pub repeats: usize,
    /// The scenarios to run, in order.
    pub scenarios: Vec<Scenario>,
    /// Idle ramp.
    pub idle: scenario::idle::Options,
    /// Fan-out.
    pub fanout: scenario::fanout::Options,
    /// Ack round trips.
    pub ack: scenario::ack::Options,
    /// Handshakes.
    pub handshake: scenario::handshake::Options,
    /// Claude streams.
    pub stream: scenario::stream::Options,
}

impl Plan {
    /// The published comparison; idle levels stop below `max_connections`.
    pub fn full(max_connections: usize) -> Self {
        let levels = [1_000, 5_000, 10_000, 15_000]
            .into_iter()
            .filter(|&n| n <= max_connections)
            .collect();
        Plan {
            repeats: 3,
            scenarios: Scenario::ALL.to_vec(),
            idle: scenario::idle::Options {
                levels,
                settle: Duration::from_secs(2),
                parallel: 128,
            },
            fanout: scenario::fanout::Options {
                clients: 10_000.min(max_connections),
                window: 4,
                duration: Duration::from_secs(6),
            },
            ack: scenario::ack::Options {
                clients: 200,
                rate: 20_000,
                duration: Duration::from_secs(8),
            },
            handshake: scenario::handshake::Options {
                parallel: 64,
                duration: Duration::from_secs(6),
            },
            stream: scenario::stream::Options {
                runs: 4,
                watchers: 50,
                chunks: 20_000,
            },
        }
    }

    /// A few seconds in all: proves every scenario works, measures nothing.
    pub fn smoke() -> Self {
        Plan {
            repeats: 1,
            scenarios: Scenario::ALL.to_vec(),
            idle: scenario::idle::Options {
                levels: vec![10, 20],
                settle: Duration::from_millis(100),
                parallel: 8,
            },
            fanout: scenario::fanout::Options {
                clients: 10,
                window: 2,
                duration: Duration::from_millis(300),
            },
            ack: scenario::ack::Options {
                clients: 4,
                rate: 200,
                duration: Duration::from_millis(500),
            },
            handshake: scenario::handshake::Options {
                parallel: 4,
                duration: Duration::from_millis(300),
            },
            stream: scenario::stream::Options {
                runs: 2,
                watchers: 2,
                chunks: 50,
            },
        }
    }
}

/// One scenario run against one server.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Which scenario.
    pub scenario: Scenario,
    /// Which server.
    pub server: Kind,
    /// Which repeat, from 0.
    pub repeat: usize,
    /// The scenario's report, or `{"error": ...}`.
    pub result: Value,
}

impl Record {
    /// Whether the run failed.
    pub fn failed(&self) -> bool {
        self.result.get("error").is_some()
    }
}

/// Runs the plan; every record is also printed as it is made.
pub async fn run(launcher: &Launcher, plan: &Plan) -> Vec<Record> {
    let mut kinds = vec![Kind::Switchboard];
    if launcher.node_server.is_some() {
        kinds.push(Kind::Node);
    }
    let mut records = Vec::new();
    for repeat in 0..plan.repeats {
        for &scenario in &plan.scenarios {
            let mut order = kinds.clone();
            if repeat % 2 == 1 {
                order.reverse();
            }
            for kind in order.into_iter().filter(|&kind| scenario.runs_on(kind)) {
                let result = match run_one(launcher, plan, scenario, kind).await {
                    Ok(value) => value,
                    Err(error) => serde_json::json!({ "error": error }),
                };
                let record = Record {
                    scenario,
                    server: kind,
                    repeat,
                    result,
                };
                println!("{}", serde_json::to_string(&record).unwrap_or_default());
                records.push(record);
            }
        }
    }
    records
}

async fn run_one(
    launcher: &Launcher,
    plan: &Plan,
    scenario: Scenario,
    kind: Kind,
) -> Result<Value, String> {
    let server = launcher
        .start(kind)
        .await
        .map_err(|error| error.to_string())?;
    let bench = Bench {
        target: Arc::new(Target::parse(&server.url).map_err(|error| error.to_string())?),
        minter: Minter::new(&launcher.secret),
        api_key: launcher.api_key.clone(),
        server_pid: Some(server.pid),
    };
    let result = run_scenario(&bench, plan, scenario).await;
    let result = result.map_err(|error| {
        let log = server.log();
        let tail: String = log.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
        format!("{error}; server log: {tail}")
    });
    server.stop().await;
    result
}

/// Runs one scenario against `bench` and returns its report as JSON.
pub async fn run_scenario(
    bench: &Bench,
    plan: &Plan,
    scenario: Scenario,
) -> Result<Value, ScenarioError> {
    let value = match scenario {
        Scenario::Idle => to_json(scenario::idle::run(bench, &plan.idle).await?),
        Scenario::Fanout => to_json(scenario::fanout::run(bench, &plan.fanout).await?),
        Scenario::Ack => to_json(scenario::ack::run(bench, &plan.ack).await?),
        Scenario::Handshake => to_json(scenario::handshake::run(bench, &plan.handshake).await?),
        Scenario::Stream => to_json(scenario::stream::run(bench, &plan.stream).await?),
    };
    Ok(value)
}

fn to_json(report: impl Serialize) -> Value {
    serde_json::to_value(report).unwrap_or(Value::Null)
}
