//! Handshake: workers connect, sign in with a JWT, and hang up, again and
//! again; authenticated connects per second.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Bench, CpuMeters, CpuUse, ScenarioError};
use crate::client::Client;
use crate::measure::{Latencies, LatencySummary, round1};

/// How hard and how long.
#[derive(Debug, Clone)]
pub struct Options {
    /// Connects in flight at once.
    pub parallel: usize,
    /// How long to keep connecting.
    pub duration: Duration,
}

/// The scenario's result.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Completed authenticated handshakes.
    pub handshakes: u64,
    /// Failed handshakes.
    pub failures: u64,
    /// Completed per second.
    pub per_s: f64,
    /// Time from TCP connect to the namespace `CONNECT` answer.
    pub latency: LatencySummary,
    /// CPU over the run.
    #[serde(flatten)]
    pub cpu: CpuUse,
}

/// Runs the workers until the duration ends.
pub async fn run(bench: &Bench, options: &Options) -> Result<Report, ScenarioError> {
    let tokens = Arc::new(bench.minter.tokens(options.parallel.max(1) * 4));
    let cpu = CpuMeters::start(bench);
    let started = Instant::now();
    let deadline = started + options.duration;
    let mut workers = Vec::new();
    for worker in 0..options.parallel.max(1) {
        let (target, tokens) = (bench.target.clone(), tokens.clone());
        workers.push(tokio::spawn(async move {
            let (mut done, mut failed, mut latencies) = (0u64, 0u64, Latencies::default());
            let mut n = worker;
            while Instant::now() < deadline {
                let begun = Instant::now();
                match Client::connect(&target, Some(&tokens[n % tokens.len()])).await {
                    Ok(client) => {
                        latencies.record(begun.elapsed());
                        done += 1;
                        drop(client);
                    }
                    Err(_) => failed += 1,
                }
                n += 1;
            }
            (done, failed, latencies)
        }));
    }
    let (mut handshakes, mut failures, mut latencies) = (0, 0, Latencies::default());
    for worker in workers {
        let (done, failed, worker_latencies) = worker
            .await
            .map_err(|error| ScenarioError::Failed(error.to_string()))?;
        handshakes += done;
        failures += failed;
        latencies.merge(&worker_latencies);
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(Report {
        handshakes,
        failures,
        per_s: round1(handshakes as f64 / elapsed),
        latency: latencies.summary(),
        cpu: cpu.read(),
    })
}
