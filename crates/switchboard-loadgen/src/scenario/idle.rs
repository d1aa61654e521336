//! Idle: authenticated clients that only answer pings, ramped through
//! several counts; the server's resident memory per connection at each.

use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use super::{Bench, CpuMeters, CpuUse, ScenarioError, connect_many};
use crate::measure::rss_bytes;

/// How the ramp goes.
#[derive(Debug, Clone)]
pub struct Options {
    /// Connection counts to measure at, ascending.
    pub levels: Vec<usize>,
    /// Wait after reaching a level before reading memory.
    pub settle: Duration,
    /// Connects in flight at once.
    pub parallel: usize,
}

/// One measured count.
#[derive(Debug, Serialize)]
pub struct Level {
    /// Connections open.
    pub connections: usize,
    /// Server RSS, KiB.
    pub rss_kib: u64,
    /// (RSS − RSS before any client) / connections, bytes.
    pub per_conn_bytes: u64,
}

/// The scenario's result.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Server RSS with no client, KiB.
    pub base_rss_kib: u64,
    /// Every level reached.
    pub levels: Vec<Level>,
    /// The per-connection cost at the largest level, bytes.
    pub per_conn_bytes: u64,
    /// Handshakes per second over the whole ramp.
    pub ramp_connects_per_s: f64,
    /// CPU over the ramp.
    #[serde(flatten)]
    pub cpu: CpuUse,
}

/// Runs the ramp; every client stays connected until the end.
pub async fn run(bench: &Bench, options: &Options) -> Result<Report, ScenarioError> {
    let pid = bench.server_pid.ok_or(ScenarioError::NoServerPid)?;
    let largest = options.levels.iter().copied().max().unwrap_or(0);
    let tokens = bench.minter.tokens(largest);
    tokio::time::sleep(options.settle).await;
    let base = rss_bytes(pid)?;
    let (stop, stopped) = watch::channel(false);
    let mut open = 0;
    let mut levels = Vec::new();
    let mut ramp_time = Duration::ZERO;
    let cpu = CpuMeters::start(bench);
    for &level in &options.levels {
        let started = std::time::Instant::now();
        let clients = connect_many(bench, &tokens[open..level.max(open)], options.parallel).await?;
        ramp_time += started.elapsed();
        open = level.max(open);
        for client in clients {
            let mut stopped = stopped.clone();
            tokio::spawn(client.idle_until(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }));
        }
        tokio::time::sleep(options.settle).await;
        let rss = rss_bytes(pid)?;
        levels.push(Level {
            connections: open,
            rss_kib: rss / 1024,
            per_conn_bytes: rss.saturating_sub(base) / open.max(1) as u64,
        });
    }
    let cpu = cpu.read();
    let _ = stop.send(true);
    Ok(Report {
        base_rss_kib: base / 1024,
        per_conn_bytes: levels.last().map_or(0, |level| level.per_conn_bytes),
        ramp_connects_per_s: crate::measure::round1(
            open as f64 / ramp_time.as_secs_f64().max(1e-9),
        ),
        levels,
        cpu,
    })
}
