//! Fan-out: clients joined to one room; a backend publishes to that room
//! through the HTTP publish API, at most `window` broadcasts ahead of
//! delivery; delivered messages per second and publish-to-client latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::watch;

use super::{Bench, CpuMeters, CpuUse, ScenarioError, connect_many};
use crate::client::Client;
use crate::measure::{Latencies, LatencySummary, round1};
use crate::packet::{self, Frame};

/// Load shape.
#[derive(Debug, Clone)]
pub struct Options {
    /// Clients in the room.
    pub clients: usize,
    /// Broadcasts published but not yet delivered to every client, at most.
    pub window: u64,
    /// How long publishing goes on.
    pub duration: Duration,
}

/// The scenario's result.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Clients in the room.
    pub clients: usize,
    /// Broadcasts published.
    pub published: u64,
    /// Messages delivered (at most `published × clients`).
    pub delivered: u64,
    /// Delivered per second, first publish to last delivery.
    pub msgs_per_s: f64,
    /// Publish to delivery, sampled on one client in 50.
    pub latency: LatencySummary,
    /// CPU while publishing.
    #[serde(flatten)]
    pub cpu: CpuUse,
}

const ROOM: &str = "bench-fanout";
/// One client in this many records latencies, to keep the generator light.
const SAMPLE_EVERY: usize = 50;
/// How long deliveries still on their way are waited for.
const DRAIN: Duration = Duration::from_secs(10);

/// Runs the publisher and the room.
pub async fn run(bench: &Bench, options: &Options) -> Result<Report, ScenarioError> {
    let tokens = bench.minter.tokens(options.clients.max(1));
    let mut clients = connect_many(bench, &tokens, 64).await?;
    for client in &mut clients {
        client.join(ROOM).await?;
    }
    let clients_n = clients.len() as u64;
    let delivered = Arc::new(AtomicU64::new(0));
    let last_delivery = Arc::new(AtomicU64::new(0));
    let epoch = Instant::now();
    let (stop, stopped) = watch::channel(false);
    let receivers: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, client)| {
            tokio::spawn(receive(
                client,
                i % SAMPLE_EVERY == 0,
                epoch,
                delivered.clone(),
                last_delivery.clone(),
                stopped.clone(),
            ))
        })
        .collect();

    let http = reqwest::Client::new();
    let url = bench.target.http_url("/api/v1/publish");
    let cpu = CpuMeters::start(bench);
    let started = Instant::now();
    let mut published = 0u64;
    while started.elapsed() < options.duration {
        if delivered.load(Ordering::Relaxed) + options.window * clients_n
            < (published + 1) * clients_n
        {
            tokio::time::sleep(Duration::from_micros(200)).await;
            continue;
        }
        let sent_at = epoch.elapsed().as_micros();
        let body = format!(
            r#"{{"namespace":"/","room":"{ROOM}","event":"bench","data":{{"seq":{published},"t":{sent_at}}}}}"#
        );
        let response = http
            .post(&url)
            .bearer_auth(&bench.api_key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|error| ScenarioError::Publish(error.to_string()))?;
        if !response.status().is_success() {
            return Err(ScenarioError::Publish(format!(
                "HTTP {}",
                response.status()
            )));
        }
        published += 1;
    }
    let expected = published * clients_n;
    let drain_ends = Instant::now() + DRAIN;
    while delivered.load(Ordering::Relaxed) < expected && Instant::now() < drain_ends {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cpu = cpu.read();
    let _ = stop.send(true);
    let mut latencies = Latencies::default();
    for receiver in receivers {
        if let Ok(sampled) = receiver.await {
            latencies.merge(&sampled);
        }
    }
    let delivered = delivered.load(Ordering::Relaxed);
    let busy = Duration::from_micros(last_delivery.load(Ordering::Relaxed))
        .saturating_sub(started.duration_since(epoch));
    Ok(Report {
        clients: clients_n as usize,
        published,
        delivered,
        msgs_per_s: round1(delivered as f64 / busy.as_secs_f64().max(1e-9)),
        latency: latencies.summary(),
        cpu,
    })
}

async fn receive(
    mut client: Client,
    sampled: bool,
    epoch: Instant,
    delivered: Arc<AtomicU64>,
    last_delivery: Arc<AtomicU64>,
    mut stopped: watch::Receiver<bool>,
) -> Latencies {
    let mut latencies = Latencies::default();
    loop {
        tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => break,
            frame = client.next_text() => {
                let Ok(frame) = frame else { break };
                let Frame::Event { name: "bench", body } = packet::parse(&frame) else { continue };
                let now = epoch.elapsed();
                delivered.fetch_add(1, Ordering::Relaxed);
                last_delivery.fetch_max(now.as_micros() as u64, Ordering::Relaxed);
                if sampled && let Some(sent) = packet::number_field(body, "t") {
                    latencies.record(now.saturating_sub(Duration::from_micros(sent)));
                }
            }
        }
    }
    client.close().await;
    latencies
}
