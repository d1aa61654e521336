//! `/api/ws` (seed 002): a plain WebSocket that follows agent executions.
//! `{type:'subscribe', executionId}` replays the stored history after
//! `lastEventId` (all of it by default), then streams live events; history
//! and live events are joined by sequence number, so nothing is lost or
//! repeated in between. Only the execution's owner may subscribe.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message as Frame, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use switchboard_agents::{AgentEvent, Viewer};
use switchboard_core::Identity;
use tokio::sync::mpsc;

use super::relay::{monitor_event, now};
use crate::http::bearer;
use crate::state::SharedState;

/// Largest accepted client message.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Live events buffered per client; a client this far behind is closed.
const BUFFER: usize = 256;

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
}

impl Monitors {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, HashMap<u64, Arc<Subscriber>>>> {
        self.subscriptions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
    loop {
        tokio::select! {
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
            let after = message
                .last_event_id
                .as_deref()
                .and_then(|last| last.rsplit(':').next())
                .and_then(|seq| seq.parse().ok())
                .unwrap_or(0);
            subscribe(socket, state, client, id, after).await
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
    after: u64,
) -> Result<(), axum::Error> {
    let Some(identity) = &client.identity else {
        return send(
            socket,
            &error(
                Some(id),
                "Authentication required: connect with ?token= or send a token",
            ),
        )
        .await;
    };
    if let Err(failure) = state.agents.view(Viewer::User(&identity.user_id), id).await {
        return send(socket, &error(Some(id), &failure.to_string())).await;
    }
    // Registered before the history is read: an event stored after the read
    // arrives live; one in both is sent once (by sequence number).
    state.monitors.subscribe(id, client.id, &client.subscriber);
    let history = match state.agents.history(id, after).await {
        Ok(history) => history,
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
