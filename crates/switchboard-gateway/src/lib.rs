//! Switchboard's network edge: one axum router serving the operational HTTP
//! routes and Socket.IO (websocket and long-polling) on the same port.
//!
//! [`App::build`] assembles a node from a [`Config`]; [`App::serve`] runs it
//! on a listener until a shutdown future resolves, then drains: readiness
//! turns 503, running Claude processes are stopped and recorded, Socket.IO
//! clients see their transport close (and reconnect by themselves), HTTP
//! connections are given the configured grace period, and the store is
//! closed.

// Capabilities: each one's Socket.IO handlers, relay and HTTP routes.
mod account;
mod agents;
mod claude;
mod media;
mod notifications;
mod publish;
mod strudel;

// Shared layers under them.
mod http;
mod plain_ws;
mod socketio;
mod state;
mod wire;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::http::{HeaderValue, Method};
use socketioxide::SocketIo;
use socketioxide::adapter::{Adapter, Emitter};
use socketioxide::layer::SocketIoLayer;
use socketioxide_redis::{RedisAdapter, RedisAdapterConfig, RedisAdapterCtr};
use switchboard_agents::AgentRuntime;
use switchboard_core::Config;
use switchboard_core::token::Keys;
use switchboard_jobs::claude::{ClaudeRunner, ProcessEvent};
use switchboard_jobs::rate_limit::RateLimiter;
use switchboard_jobs::strudel::StrudelRenderer;
use switchboard_store::Store;
use tokio::net::TcpListener;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

pub use state::{AppState, SharedState};

/// Closes the transport of every Socket.IO client of this node.
type CloseSockets = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// A built node, ready to serve on a listener.
pub struct App {
    router: Router,
    close_sockets: CloseSockets,
    state: SharedState,
    relay: tokio::task::JoinHandle<()>,
    agent_relay: tokio::task::JoinHandle<()>,
    render_relay: tokio::task::JoinHandle<()>,
}

/// What the work engines report, before the relays consume it.
struct Streams {
    process: tokio::sync::mpsc::Receiver<ProcessEvent>,
    agent: tokio::sync::mpsc::Receiver<switchboard_agents::AgentEvent>,
    render: tokio::sync::mpsc::Receiver<switchboard_jobs::strudel::RenderEvent>,
}

impl App {
    /// Opens the store, loads the keys and assembles the routes.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let keys = Keys::load(&config.auth).context("loading the JWT key")?;
        let store = Store::open(&config.store)
            .await
            .context("opening the store")?;
        let rate_limiter = match &config.cluster.redis_url {
            Some(url) => RateLimiter::redis(config.claude.rate_limit, url)
                .context("configuring the Redis rate limit")?,
            None => RateLimiter::memory(config.claude.rate_limit),
        };
        let (events, process_events) = tokio::sync::mpsc::channel(1024);
        let claude =
            ClaudeRunner::start(config.claude.clone(), store.clone(), rate_limiter, events)
                .await
                .context("starting the Claude runner")?;
        let (agent_events, agent_stream) = tokio::sync::mpsc::channel(1024);
        let llm = switchboard_agents::llm::from_config(config.agents.llm.as_ref(), &claude)
            .context("configuring the LLM provider")?;
        let agents = AgentRuntime::new(&config.agents, store.clone(), llm, agent_events)
            .context("starting the agent runtime")?;
        let (render_events, render_stream) = tokio::sync::mpsc::channel(1024);
        let strudel = StrudelRenderer::start(
            config.strudel.clone(),
            config.server.data_dir.join("audio"),
            render_events,
        )
        .context("starting the Strudel renderer")?;
        let state = AppState::new(config, keys.verifier, store, claude, agents, strudel);
        let streams = Streams {
            process: process_events,
            agent: agent_stream,
            render: render_stream,
        };

        let settings = &state.config.socketio;
        // The transport drops connections only at twice the configured
        // limit; between the two, handlers answer INVALID_PAYLOAD and the
        // socket stays connected (SPEC §11).
        let hard_limit = settings.max_payload_bytes.saturating_mul(2);
        let builder = SocketIo::builder()
            .ping_interval(settings.ping_interval)
            .ping_timeout(settings.ping_timeout)
            .max_payload(hard_limit)
            // Packets queued per socket before emits fail: streamed output
            // must not be dropped for a polling client between two polls.
            .max_buffer_size(SOCKET_BUFFER_PACKETS)
            .ws_max_message_size(usize::try_from(hard_limit).unwrap_or(usize::MAX))
            .ws_read_buffer_size(socketio::transport::WS_READ_BUFFER)
            .with_state(state.clone());

        // The adapter is chosen by configuration: alone in memory, or a
        // cluster node fanning out through Redis.
        match state.config.cluster.redis_url.clone() {
            None => {
                let (layer, io) = builder.build_layer();
                socketio::register_local(&io, &state);
                App::assemble(state, layer, io, streams).await
            }
            Some(url) => {
                let client = redis::Client::open(resp3(&url)).context("parsing redis_url")?;
                let adapter_config = RedisAdapterConfig::new()
                    .with_prefix(state.config.cluster.redis_prefix.clone());
                let adapter = RedisAdapterCtr::new_with_redis_config(&client, adapter_config)
                    .await
                    .context("connecting the Redis adapter")?;
                let (layer, io) = builder
                    .with_adapter::<RedisAdapter<Emitter>>(adapter)
                    .build_layer();
                plain_ws::link(
                    &state.plain_clients,
                    &url,
                    &state.config.cluster.redis_prefix,
                )
                .await
                .context("linking /ws clients through Redis")?;
                socketio::register_cluster(&io, &state)
                    .await
                    .context("registering namespaces with the Redis adapter")?;
                App::assemble(state, layer, io, streams).await
            }
        }
    }

    /// Routes and background tasks around a Socket.IO instance of any adapter.
    /// Also resumes the agent executions a previous server left unfinished,
    /// once their events have a listener.
    async fn assemble<A: Adapter>(
        state: SharedState,
        layer: SocketIoLayer<A>,
        io: SocketIo<A>,
        streams: Streams,
    ) -> anyhow::Result<App> {
        let relay = claude::relay::spawn(io.clone(), streams.process);
        let agent_relay = agents::relay::spawn(io.clone(), state.monitors.clone(), streams.agent);
        let render_relay = strudel::relay::spawn(io.clone(), state.store.clone(), streams.render);
        let resumed = state
            .agents
            .recover()
            .await
            .context("resuming agent executions")?;
        if resumed > 0 {
            tracing::info!(resumed, "resumed agent executions of a previous run");
        }
        let sessions = Arc::new(socketio::client_transports::Sessions::default());
        let transports_closed = Arc::new(AtomicBool::new(false));
        let closed = transports_closed.clone();
        let router = http::routes(io.clone(), state.config.server.http_max_body_bytes)
            .with_state(state.clone())
            .layer(layer)
            .layer(axum::middleware::from_fn(move |request, next| {
                socketio::client_transports::after_close(closed.clone(), request, next)
            }))
            .layer(axum::middleware::from_fn(move |request, next| {
                socketio::client_transports::track(sessions.clone(), request, next)
            }))
            .layer(axum::middleware::map_request(async |request| {
                socketio::transport::detach_head(request)
            }))
            .layer(cors(&state.config.server.cors_origins))
            // Outermost: a connection answering a request is not timed for
            // its next request head.
            .layer(axum::middleware::from_fn(socketio::connections::answering));
        let close_sockets: CloseSockets = Box::new(move || {
            Box::pin(async move {
                // An Engine.IO close of each local socket (a close packet,
                // flushed to a waiting poll or written before the websocket
                // closes), never a Socket.IO namespace disconnect: the
                // official client takes `io server disconnect` as final, a
                // transport close as a reason to reconnect (SPEC §1). Only
                // this node's sockets; in a cluster the others stay up.
                //
                // A polling client between two polls has no request to
                // read the close packet from: give the final events a
                // moment to be polled, and answer its next poll for it.
                tokio::time::sleep(POLL_FLUSH).await;
                transports_closed.store(true, Ordering::SeqCst);
                io.close().await;
            })
        });
        Ok(App {
            router,
            close_sockets,
            state,
            relay,
            agent_relay,
            render_relay,
        })
    }

    /// The node's shared state (metrics, store, configuration).
    pub fn state(&self) -> &SharedState {
        &self.state
    }

    /// Serves on `listener` until `shutdown` resolves, then drains.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let address = listener.local_addr().context("reading the bound address")?;
        tracing::info!(%address, "listening on http://{address}");

        let (stop_accepting, stopped) = tokio::sync::oneshot::channel::<()>();
        // Socket.IO frames are small and latency-bound: without TCP_NODELAY
        // an ack can wait on Nagle's algorithm for the client's delayed ACK.
        let listener =
            axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
                if let Err(error) = tcp.set_nodelay(true) {
                    tracing::debug!(%error, "cannot set TCP_NODELAY");
                }
            });
        // Each connection can be closed alone: a client whose token expired
        // on a private namespace is made to reconnect (SPEC §2).
        // They also hold the transport limits: the request head timeout and
        // the connections allowed per address.
        let listener = socketio::connections::ClosableListener::new(listener, self.state.clone());
        let service = self
            .router
            .into_make_service_with_connect_info::<socketio::connections::Connection>();
        let server = tokio::spawn(
            axum::serve(listener, service)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .into_future(),
        );

        shutdown.await;
        let grace = self.state.config.server.shutdown_grace;
        tracing::info!(grace_ms = grace.as_millis(), "shutting down");
        self.state.start_draining();
        self.state.plain_clients.close_all();
        // Running work first: its final events still reach connected clients.
        self.state.claude.shutdown(grace).await;
        // Agent runs stop and keep their checkpoints: they resume at restart.
        self.state.agents.shutdown(grace).await;
        if tokio::time::timeout(grace, self.relay).await.is_err() {
            tracing::warn!("process events still unsent after the grace period");
        }
        if tokio::time::timeout(grace, self.agent_relay).await.is_err() {
            tracing::warn!("agent events still unsent after the grace period");
        }
        // The runs' last events have reached `/api/ws`: close it with 1001.
        self.state.monitors.close_all().await;
        self.state.strudel.shutdown(grace).await;
        if tokio::time::timeout(grace, self.render_relay)
            .await
            .is_err()
        {
            tracing::warn!("render events still unsent after the grace period");
        }
        // Close every Socket.IO client's transport, which also ends the
        // upgraded websocket connections; the clients reconnect by
        // themselves, to a restarted node or to another cluster node.
        let close = (self.close_sockets)();
        if tokio::time::timeout(grace, close).await.is_err() {
            tracing::warn!("Socket.IO clients did not close within the grace period");
        }
        // Only now stop accepting: a polling client reads its close packet
        // from the poll it has waiting.
        let _ = stop_accepting.send(());
        match tokio::time::timeout(remaining(grace), server).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => tracing::warn!(%error, "HTTP server ended with an error"),
            Ok(Err(error)) => tracing::warn!(%error, "HTTP server task failed"),
            Err(_) => tracing::warn!("HTTP connections still open after the grace period"),
        }
        self.state.store.close().await;
        tracing::info!("shutdown complete");
        Ok(())
    }
}

/// Packets buffered per socket (the channel grows on demand, in blocks).
const SOCKET_BUFFER_PACKETS: usize = 4096;

/// The adapter's driver speaks RESP3 (Redis 7 and later).
fn resp3(url: &str) -> String {
    if url.contains("protocol=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&protocol=resp3")
    } else {
        format!("{url}?protocol=resp3")
    }
}

/// How long shutdown lets polling clients collect the final events before
/// their transports close.
const POLL_FLUSH: Duration = Duration::from_millis(250);

/// The HTTP drain gets at least a short window even when the socket close
/// used the whole grace period.
fn remaining(grace: Duration) -> Duration {
    grace.max(Duration::from_millis(500))
}

/// CORS for browsers: the configured origins, or any origin when none (or
/// `*`) is configured. Credentials are allowed so polling can carry cookies.
fn cors(origins: &[String]) -> CorsLayer {
    let allow_origin = if origins.is_empty() || origins.iter().any(|origin| origin == "*") {
        AllowOrigin::mirror_request()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(AllowHeaders::mirror_request())
}
