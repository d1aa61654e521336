//! `/api/ws` (seed 002): a plain WebSocket that follows agent executions.
//! `{type:'subscribe', executionId}` streams the events that happen after
//! it: seed 002's client loads the history over HTTP first and appends
//! whatever arrives. With `lastEventId` it first replays the stored history
//! after that id; history and live events are joined by sequence number, so
//! nothing is lost or repeated in between. An execution id is a capability:
//! anyone who knows it may follow it anonymously unless
//! `monitor_require_token` is set; with a token, only the owner or an admin.
//! At shutdown every client gets a close frame with code 1001.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message as Frame, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use switchboard_agents::{AgentEvent, Viewer};
use switchboard_core::Identity;
use tokio::sync::{mpsc, watch};

use super::relay::{monitor_event, now};
use crate::http::bearer;
use crate::state::SharedState;

/// Largest accepted client message.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Live events buffered per client; a client this far behind is closed.
const BUFFER: usize = 256;
/// How long a client closed at shutdown has to answer the close frame.
const CLOSE_REPLY: Duration = Duration::from_secs(1);
/// How long [`Monitors::close_all`] waits for the connections to end.
const CLOSE_ALL: Duration = Duration::from_secs(2);

/// One live event for one execution's subscribers.
#[derive(Debug, Clone)]
struct Live {
    execution_id: Arc<str>,
    seq: u64,
    text: Arc<str>,
}

#[derive(Debug)]
struct Subscriber {
    sender: mpsc::Sender<Live>,
    overflowed: AtomicBool,
}

/// Who follows which execution on this node.
#[derive(Debug, Default)]
pub struct Monitors {
    next_client: AtomicU64,
    subscriptions: Mutex<HashMap<String, HashMap<u64, Arc<Subscriber>>>>,
    /// `true` once the server shuts down; every connection holds a receiver.
    closing: watch::Sender<bool>,
}

impl Monitors {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, HashMap<u64, Arc<Subscriber>>>> {
        self.subscriptions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Closes every `/api/ws` connection with code 1001 (going away) and
    /// waits, briefly, until they have ended, so the close frames are sent
    /// before the process exits.
    pub async fn close_all(&self) {
        self.closing.send_replace(true);
        if tokio::time::timeout(CLOSE_ALL, self.closing.closed())
            .await
            .is_err()
        {
            tracing::warn!("/api/ws clients still open after their close frame");
        }
    }

    /// Sends `event` to its execution's subscribers.
    pub fn publish(&self, event: &AgentEvent) {
        let subscribers: Vec<Arc<Subscriber>> = match self.lock().get(&event.execution_id) {
            Some(subscribers) => subscribers.values().cloned().collect(),
            None => return,
        };
        let live = Live {
            execution_id: event.execution_id.as_str().into(),
            seq: event.seq,
            text: envelope(event).to_string().into(),
        };
        for subscriber in subscribers {
            if subscriber.sender.try_send(live.clone()).is_err() {
                subscriber.overflowed.store(true, Ordering::Relaxed);
            }
        }
    }

    fn subscribe(&self, execution_id: &str, client: u64, subscriber: &Arc<Subscriber>) {
        self.lock()
            .entry(execution_id.to_owned())
            .or_default()
            .insert(client, subscriber.clone());
    }

    fn unsubscribe(&self, execution_id: &str, client: u64) {
        let mut subscriptions = self.lock();
        if let Some(subscribers) = subscriptions.get_mut(execution_id) {
            subscribers.remove(&client);
            if subscribers.is_empty() {
                subscriptions.remove(execution_id);
            }
        }
    }
}

/// `{type:'event', executionId, event:{id, type, timestamp, data}}`.
fn envelope(event: &AgentEvent) -> Json {
    json!({"type": "event", "executionId": event.execution_id, "event": monitor_event(event)})
}

#[derive(Deserialize)]
pub struct Params {
    token: Option<String>,
}

/// `GET /api/ws`: upgrades; a plain GET gets 426 as in seed 002.
pub async fn upgrade(
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    State(state): State<SharedState>,
) -> Response {
    let Ok(ws) = ws else {
        return (
            StatusCode::UPGRADE_REQUIRED,
            [(header::UPGRADE, "websocket")],
            "WebSocket endpoint",
        )
            .into_response();
    };
    if state.is_draining() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "The server is shutting down",
        )
            .into_response();
    }
    let token = params
        .token
        .filter(|token| !token.is_empty())
        .or_else(|| bearer(&headers).map(str::to_owned));
    let identity = token.and_then(|token| verify(&state, &token));
    ws.max_message_size(MAX_MESSAGE_BYTES * 16)
        .on_upgrade(move |socket| serve(socket, identity, state))
}

fn verify(state: &SharedState, token: &str) -> Option<Identity> {
    state
        .verifier
        .verify(token)
        .inspect_err(|error| state.metrics.auth_failed(error.code()))
        .ok()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Incoming {
    #[serde(rename = "type")]
    kind: String,
    execution_id: Option<String>,
    token: Option<String>,
    last_event_id: Option<String>,
}

/// One connection's state.
struct Client {
    id: u64,
    identity: Option<Identity>,
    subscriber: Arc<Subscriber>,
    /// Per followed execution, the last sequence number sent.
    delivered: HashMap<String, u64>,
}

async fn serve(mut socket: WebSocket, identity: Option<Identity>, state: SharedState) {
    let monitors = state.monitors.clone();
    let mut closing = monitors.closing.subscribe();
    let (sender, mut live) = mpsc::channel(BUFFER);
    let mut client = Client {
        id: monitors.next_client.fetch_add(1, Ordering::Relaxed),
        identity,
        subscriber: Arc::new(Subscriber {
            sender,
            overflowed: AtomicBool::new(false),
        }),
        delivered: HashMap::new(),
    };
    state.metrics.connected("/api/ws");
    // Set only once, at shutdown: a change means closing.
    let mut closed = *closing.borrow_and_update();
    loop {
        if closed {
            going_away(&mut socket).await;
            break;
        }
        tokio::select! {
            Ok(()) = closing.changed() => closed = true,
            frame = socket.recv() => {
                let text = match frame {
                    Some(Ok(Frame::Text(text))) => text,
                    Some(Ok(Frame::Binary(_))) => {
                        if send(&mut socket, &error(None, "Send JSON text messages")).await.is_err() { break }
                        continue;
                    }
                    Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => continue,
                    Some(Ok(Frame::Close(_)) | Err(_)) | None => break,
                };
                if handle(&mut socket, &state, &mut client, text.as_str()).await.is_err() {
                    break;
                }
            }
            Some(event) = live.recv() => {
                if client.subscriber.overflowed.load(Ordering::Relaxed) {
                    tracing::warn!(client = client.id, "/api/ws client too slow; closing");
                    break;
                }
                let Some(last) = client.delivered.get_mut(&*event.execution_id) else { continue };
                if event.seq <= *last {
                    continue;
                }
                *last = event.seq;
                if socket.send(Frame::text(event.text.as_ref())).await.is_err() {
                    break;
                }
            }
        }
    }
    for execution_id in client.delivered.keys() {
        monitors.unsubscribe(execution_id, client.id);
    }
    state.metrics.disconnected("/api/ws");
}

/// The close handshake of a server that shuts down: 1001, then the
/// client's answering close (or a short wait for it).
async fn going_away(socket: &mut WebSocket) {
    let frame = CloseFrame {
        code: close_code::AWAY,
        reason: "Server shutting down".into(),
    };
    if socket.send(Frame::Close(Some(frame))).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_REPLY, async {
        while let Some(Ok(frame)) = socket.recv().await {
            if matches!(frame, Frame::Close(_)) {
                break;
            }
        }
    })
    .await;
}

fn error(execution_id: Option<&str>, message: &str) -> Json {
    json!({"type": "error", "executionId": execution_id, "error": message, "timestamp": now()})
}

async fn send(socket: &mut WebSocket, message: &Json) -> Result<(), axum::Error> {
    socket.send(Frame::text(message.to_string())).await
}

async fn handle(
    socket: &mut WebSocket,
    state: &SharedState,
    client: &mut Client,
    text: &str,
) -> Result<(), axum::Error> {
    if text.len() > MAX_MESSAGE_BYTES {
        return send(socket, &error(None, "Message too large")).await;
    }
    let message: Incoming = match serde_json::from_str(text) {
        Ok(message) => message,
        Err(_) => {
            return send(socket, &error(None, "Expected JSON {type, executionId?}")).await;
        }
    };
    if let Some(token) = &message.token {
        client.identity = verify(state, token);
    }
    let execution_id = message.execution_id.as_deref();
    match (message.kind.as_str(), execution_id) {
        ("ping", _) => send(socket, &json!({"type": "pong", "timestamp": now()})).await,
        ("subscribe" | "unsubscribe", None) => {
            send(socket, &error(None, "executionId is required")).await
        }
        ("subscribe", Some(id)) => {
            // With `lastEventId`, the stored events after it (all of them
            // when it names none); without, only what happens from now on.
            let from = message.last_event_id.as_deref().map(|last| {
                last.rsplit(':')
                    .next()
                    .and_then(|seq| seq.parse().ok())
                    .unwrap_or(0)
            });
            subscribe(socket, state, client, id, from).await
        }
        ("unsubscribe", Some(id)) => {
            if client.delivered.remove(id).is_some() {
                state.monitors.unsubscribe(id, client.id);
            }
            send(
                socket,
                &json!({"type": "unsubscribed", "executionId": id, "timestamp": now()}),
            )
            .await
        }
        (other, _) => {
            send(
                socket,
                &error(execution_id, &format!("Unknown message type `{other}`")),
            )
            .await
        }
    }
}

async fn subscribe(
    socket: &mut WebSocket,
    state: &SharedState,
    client: &mut Client,
    id: &str,
    from: Option<u64>,
) -> Result<(), axum::Error> {
    let viewer = match &client.identity {
        Some(identity) if !identity.is_admin() => Viewer::User(&identity.user_id),
        Some(_) => Viewer::Backend,
        // The id is the capability.
        None if !state.config.agents.monitor_require_token => Viewer::Backend,
        None => {
            return send(
                socket,
                &error(
                    Some(id),
                    "Authentication required: connect with ?token= or send a token",
                ),
            )
            .await;
        }
    };
    if let Err(failure) = state.agents.view(viewer, id).await {
        return send(socket, &error(Some(id), &failure.to_string())).await;
    }
    // Registered before the history is read: an event stored after the read
    // arrives live; one in both is sent once (by sequence number).
    state.monitors.subscribe(id, client.id, &client.subscriber);
    let stored = match from {
        Some(after) => state.agents.history(id, after).await.map(|h| (after, h)),
        // Live only: everything stored so far counts as delivered.
        None => state
            .agents
            .last_seq(id)
            .await
            .map(|last| (last, Vec::new())),
    };
    let (after, history) = match stored {
        Ok(stored) => stored,
        Err(failure) => {
            state.monitors.unsubscribe(id, client.id);
            tracing::error!(execution = id, %failure, "cannot read execution history");
            return send(socket, &error(Some(id), "Internal error")).await;
        }
    };
    let mut last = client
        .delivered
        .get(id)
        .copied()
        .unwrap_or(after)
        .max(after);
    for event in &history {
        if event.seq > last {
            send(socket, &envelope(event)).await?;
            last = event.seq;
        }
    }
    client.delivered.insert(id.to_owned(), last);
    send(
        socket,
        &json!({"type": "subscribed", "executionId": id, "timestamp": now()}),
    )
    .await
}
