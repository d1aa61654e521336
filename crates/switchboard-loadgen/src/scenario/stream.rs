//! Stream: concurrent `claude:execute` runs of a fake CLI that streams
//! text deltas as fast as it can, each watched by clients joined to its
//! `process:{id}` room; text deltas delivered per second. Switchboard sends
//! deltas that are already waiting as one `claude:progress`, so events and
//! deltas are counted apart.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Bench, CpuMeters, CpuUse, ScenarioError, connect_many};
use crate::client::Client;
use crate::measure::round1;
use crate::packet::{self, Frame};

/// Load shape.
#[derive(Debug, Clone)]
pub struct Options {
    /// Runs at once.
    pub runs: usize,
    /// Watchers of each run.
    pub watchers: usize,
    /// Text deltas each run streams.
    pub chunks: usize,
}

/// The scenario's result.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Runs started.
    pub runs: usize,
    /// Watchers of each run.
    pub watchers: usize,
    /// `claude:progress` text events delivered to all watchers.
    pub events: u64,
    /// CLI text deltas those events carried, over all watchers.
    pub deltas: u64,
    /// Deltas delivered per second, first text event to last.
    pub deltas_per_s: f64,
    /// CPU while streaming.
    #[serde(flatten)]
    pub cpu: CpuUse,
}

/// Time the fake CLI waits before streaming, so watchers can join.
const HEAD_START_MS: u64 = 800;
/// How long a run may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Starts the runs and follows them to `claude:complete`.
pub async fn run(bench: &Bench, options: &Options) -> Result<Report, ScenarioError> {
    let runs = options.runs.max(1);
    let watchers = options.watchers.max(1);
    // Run r belongs to user r; its owner and watchers all sign in as that user.
    let tokens: Vec<String> = bench.minter.tokens(runs);
    let mut owners = connect_many(bench, &tokens, 16).await?;
    let watcher_tokens: Vec<String> = (0..runs * watchers)
        .map(|i| tokens[i / watchers].clone())
        .collect();
    let mut all_watchers = connect_many(bench, &watcher_tokens, 64).await?;
    let cpu = CpuMeters::start(bench);
    let epoch = Instant::now();
    let counts = Arc::new(Counts::default());
    let mut followers = Vec::new();
    for owner in &mut owners {
        let prompt = format!("loadgen wait_ms={HEAD_START_MS} chunks={}", options.chunks);
        let answer = owner
            .call(
                "claude:execute",
                &serde_json::json!({ "prompt": prompt }).to_string(),
            )
            .await?;
        let process = packet::string_field(&answer, "processId")
            .ok_or_else(|| ScenarioError::Failed(format!("claude:execute answered {answer}")))?
            .to_owned();
        let room = format!("process:{process}");
        for mut watcher in all_watchers.drain(..watchers) {
            watcher.join(&room).await?;
            followers.push(tokio::spawn(follow(watcher, epoch, counts.clone())));
        }
    }
    for follower in followers {
        follower
            .await
            .map_err(|error| ScenarioError::Failed(error.to_string()))??;
    }
    drop(owners);
    let deltas = counts.deltas.load(Ordering::Relaxed);
    let span = counts
        .last
        .load(Ordering::Relaxed)
        .saturating_sub(counts.first.load(Ordering::Relaxed));
    Ok(Report {
        runs,
        watchers,
        events: counts.events.load(Ordering::Relaxed),
        deltas,
        deltas_per_s: round1(deltas as f64 / (span as f64 / 1e6).max(1e-9)),
        cpu: cpu.read(),
    })
}

/// What the watchers saw, times in µs since the scenario's epoch.
struct Counts {
    events: AtomicU64,
    deltas: AtomicU64,
    first: AtomicU64,
    last: AtomicU64,
}

impl Default for Counts {
    fn default() -> Self {
        Counts {
            events: AtomicU64::new(0),
            deltas: AtomicU64::new(0),
            first: AtomicU64::new(u64::MAX),
            last: AtomicU64::new(0),
        }
    }
}

async fn follow(
    mut watcher: Client,
    epoch: Instant,
    counts: Arc<Counts>,
) -> Result<(), ScenarioError> {
    tokio::time::timeout(RUN_TIMEOUT, async {
        loop {
            let frame = watcher.next_text().await?;
            match packet::parse(&frame) {
                Frame::Event {
                    name: "claude:progress",
                    body,
                } => {
                    // The fake CLI's deltas are `token{n} ` each.
                    let Some(text) = packet::string_field(body, "data") else {
                        continue;
                    };
                    let now = epoch.elapsed().as_micros() as u64;
                    counts.first.fetch_min(now, Ordering::Relaxed);
                    counts.last.fetch_max(now, Ordering::Relaxed);
                    counts.events.fetch_add(1, Ordering::Relaxed);
                    counts
                        .deltas
                        .fetch_add(text.matches("token").count() as u64, Ordering::Relaxed);
                }
                Frame::Event {
                    name: "claude:complete",
                    ..
                } => return Ok(()),
                Frame::Event {
                    name: "claude:error",
                    body,
                } => {
                    return Err(ScenarioError::Failed(format!("run failed: {body}")));
                }
                _ => {}
            }
        }
    })
    .await
    .map_err(|_| ScenarioError::Failed("run did not complete in time".to_owned()))?
}
