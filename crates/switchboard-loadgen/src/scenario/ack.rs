//! Ack: clients send `ping` with an ack on a fixed schedule (open loop:
//! a late answer never delays the next request) and time each answer from
//! the moment its request was written. Timing from the tick instead would
//! add the generator's own timer lateness (tokio's timer has millisecond
//! granularity) to every sample.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::time::MissedTickBehavior;

use super::{Bench, CpuMeters, CpuUse, ScenarioError, connect_many};
use crate::client::Client;
use crate::measure::{Latencies, LatencySummary, round1};
use crate::packet::{self, Frame};

/// Load shape.
#[derive(Debug, Clone)]
pub struct Options {
    /// Connected clients sharing the load.
    pub clients: usize,
    /// Requests per second over all clients.
    pub rate: u32,
    /// How long requests are sent.
    pub duration: Duration,
}

/// The scenario's result.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Requests sent.
    pub sent: u64,
    /// Acks received.
    pub answered: u64,
    /// Acks received per second of the run.
    pub answered_per_s: f64,
    /// Round trips, from when each request was written.
    pub latency: LatencySummary,
    /// CPU while sending.
    #[serde(flatten)]
    pub cpu: CpuUse,
}

/// How long answers still in flight are waited for once sending stops.
const DRAIN: Duration = Duration::from_secs(3);

/// Runs the schedule.
pub async fn run(bench: &Bench, options: &Options) -> Result<Report, ScenarioError> {
    let clients = options.clients.max(1);
    let tokens = bench.minter.tokens(clients);
    let connected = connect_many(bench, &tokens, 64).await?;
    let period = Duration::from_secs_f64(clients as f64 / f64::from(options.rate.max(1)));
    let cpu = CpuMeters::start(bench);
    let start = Instant::now() + Duration::from_millis(50);
    let tasks: Vec<_> = connected
        .into_iter()
        .enumerate()
        .map(|(i, client)| {
            // Spread the clients' first requests over one period.
            let first = start + period.mul_f64(i as f64 / clients as f64);
            tokio::spawn(pinger(client, first, period, options.duration))
        })
        .collect();
    let (mut sent, mut answered, mut latencies) = (0, 0, Latencies::default());
    for task in tasks {
        let (s, a, l) = task
            .await
            .map_err(|error| ScenarioError::Failed(error.to_string()))?;
        sent += s;
        answered += a;
        latencies.merge(&l);
    }
    Ok(Report {
        sent,
        answered,
        answered_per_s: round1(answered as f64 / options.duration.as_secs_f64()),
        latency: latencies.summary(),
        cpu: cpu.read(),
    })
}

async fn pinger(
    mut client: Client,
    first: Instant,
    period: Duration,
    duration: Duration,
) -> (u64, u64, Latencies) {
    let mut ticks = tokio::time::interval_at(first.into(), period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let sending_ends = first + duration;
    let mut due: HashMap<u64, Instant> = HashMap::new();
    let (mut sent, mut answered, mut latencies) = (0, 0, Latencies::default());
    loop {
        let draining = Instant::now() >= sending_ends;
        if draining && (due.is_empty() || Instant::now() >= sending_ends + DRAIN) {
            break;
        }
        tokio::select! {
            _ = ticks.tick(), if !draining => {
                let id = client.ack_id();
                let written = Instant::now();
                if client.send(packet::event_with_ack(id, "ping", "")).await.is_err() {
                    break;
                }
                due.insert(id, written);
                sent += 1;
            }
            frame = client.next_text() => {
                let Ok(frame) = frame else { break };
                if let Frame::Ack { id, .. } = packet::parse(&frame)
                    && let Some(due_at) = due.remove(&id)
                {
                    latencies.record(due_at.elapsed());
                    answered += 1;
                }
            }
            _ = tokio::time::sleep_until((sending_ends + DRAIN).into()), if draining => break,
        }
    }
    client.close().await;
    (sent, answered, latencies)
}
