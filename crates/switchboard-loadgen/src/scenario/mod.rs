//! The load scenarios. Each connects its own clients, drives one kind of
//! work, and returns a report that prints as one JSON line.

pub mod ack;
pub mod fanout;
pub mod handshake;
pub mod idle;
pub mod stream;

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::client::{Client, ClientError};
use crate::measure::CpuMeter;
use crate::target::Target;
use crate::token::Minter;

/// Why a scenario could not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// A client failed where the scenario cannot go on without it.
    #[error("client: {0}")]
    Client(#[from] ClientError),
    /// The publish API refused or failed.
    #[error("publish: {0}")]
    Publish(String),
    /// The scenario needs the server's process id (memory, CPU).
    #[error("this scenario needs --server-pid")]
    NoServerPid,
    /// Reading `/proc` failed.
    #[error("measuring: {0}")]
    Measure(#[from] std::io::Error),
    /// The scenario's own rule was broken (counts, answers).
    #[error("{0}")]
    Failed(String),
}

/// What every scenario is given: the server and how to sign in to it.
pub struct Bench {
    /// The server under load.
    pub target: Arc<Target>,
    /// Mints the clients' tokens.
    pub minter: Minter,
    /// The backend key of the publish API.
    pub api_key: String,
    /// The server's process, for memory and CPU readings.
    pub server_pid: Option<u32>,
}

/// CPU use of the generator and the server over a scenario's measured part.
#[derive(Debug, serde::Serialize)]
pub struct CpuUse {
    /// This process, percent of one core.
    pub loadgen_cpu_pct: Option<f64>,
    /// The server, percent of one core.
    pub server_cpu_pct: Option<f64>,
}

/// Meters both processes from now on.
pub struct CpuMeters {
    loadgen: CpuMeter,
    server: Option<CpuMeter>,
}

impl CpuMeters {
    /// Starts measuring.
    pub fn start(bench: &Bench) -> Self {
        CpuMeters {
            loadgen: CpuMeter::start(None),
            server: bench.server_pid.map(|pid| CpuMeter::start(Some(pid))),
        }
    }

    /// The use since `start`.
    pub fn read(&self) -> CpuUse {
        CpuUse {
            loadgen_cpu_pct: self.loadgen.percent(),
            server_cpu_pct: self.server.as_ref().and_then(CpuMeter::percent),
        }
    }
}

/// Connects one client for each token, `parallel` at a time; a client
/// failing to connect fails the whole batch.
pub async fn connect_many(
    bench: &Bench,
    tokens: &[String],
    parallel: usize,
) -> Result<Vec<Client>, ScenarioError> {
    let gate = Arc::new(Semaphore::new(parallel.max(1)));
    let mut tasks = Vec::with_capacity(tokens.len());
    for token in tokens {
        let (gate, target, token) = (gate.clone(), bench.target.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.ok()?;
            Client::connect(&target, Some(&token)).await.ok()
        }));
    }
    let mut clients = Vec::with_capacity(tasks.len());
    for task in tasks {
        if let Ok(Some(client)) = task.await {
            clients.push(client);
        }
    }
    match tokens.len() - clients.len() {
        0 => Ok(clients),
        n => Err(ScenarioError::Failed(format!(
            "{n} of {} clients could not connect",
            tokens.len()
        ))),
    }
}
