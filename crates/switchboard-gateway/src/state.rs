//! What every handler shares: configuration, the token verifier, the store,
//! the Claude runner, the agent runtime and the metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use switchboard_agents::AgentRuntime;
use switchboard_core::Config;
use switchboard_core::token::TokenVerifier;
use switchboard_jobs::claude::ClaudeRunner;
use switchboard_jobs::strudel::StrudelRenderer;
use switchboard_store::Store;

use crate::agents::Monitors;
use crate::http::Metrics;
use crate::plain_ws::PlainClients;

/// State shared by HTTP routes and Socket.IO handlers.
#[derive(Debug)]
pub struct AppState {
    /// The effective configuration.
    pub config: Config,
    /// Verifies JWTs.
    pub verifier: TokenVerifier,
    /// Durable state.
    pub store: Store,
    /// Runs Claude CLI processes.
    pub claude: ClaudeRunner,
    /// Runs workflows, orchestrations, critiques and discussions.
    pub agents: AgentRuntime,
    /// Renders Strudel code to audio.
    pub strudel: StrudelRenderer,
    /// The `/api/ws` subscribers.
    pub monitors: Arc<Monitors>,
    /// Counters and gauges.
    pub metrics: Metrics,
    /// The connected `/ws` clients.
    pub plain_clients: Arc<PlainClients>,
    draining: AtomicBool,
}

/// The handle handlers receive.
pub type SharedState = Arc<AppState>;

impl AppState {
    /// Bundles the node's parts.
    pub fn new(
        config: Config,
        verifier: TokenVerifier,
        store: Store,
        claude: ClaudeRunner,
        agents: AgentRuntime,
        strudel: StrudelRenderer,
    ) -> SharedState {
        Arc::new(AppState {
            config,
            verifier,
            store,
            claude,
            agents,
            strudel,
            monitors: Arc::default(),
            metrics: Metrics::default(),
            plain_clients: Arc::default(),
            draining: AtomicBool::new(false),
        })
    }

    /// Marks the node as shutting down; `/readyz` then answers 503.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}
