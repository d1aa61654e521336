//! One `/ws` connection: the auth message, the read loop with heartbeat,
//! rate limit and presence, and the writer draining the bounded buffer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message as Frame, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use switchboard_core::Identity;
use tokio::time::{Instant, interval_at};

use super::{Recipients, encode, encode_json};
use crate::state::SharedState;

/// Largest accepted client message; larger ones get an error.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Largest frame the transport reads; past it the connection is closed (1009).
const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// Client messages accepted per second before they are refused.
const MESSAGES_PER_SECOND: u32 = 20;

#[derive(Deserialize)]
pub struct Params {
    token: Option<String>,
}

/// `GET /ws?token=`: upgrades to a plain WebSocket; a plain GET gets 426.
pub async fn upgrade(
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    Query(params): Query<Params>,
    State(state): State<SharedState>,
) -> Response {
    let Ok(ws) = ws else {
        let body = json!({"error": {"code": "UPGRADE_REQUIRED", "message": "Connect with a WebSocket client"}});
        return (
            StatusCode::UPGRADE_REQUIRED,
            [(header::UPGRADE, "websocket")],
            axum::Json(body),
        )
            .into_response();
    };
    let verified = params
        .token
        .filter(|token| !token.is_empty())
        .map(|token| state.verifier.verify(&token));
    if let Some(Err(error)) = &verified {
        state.metrics.auth_failed(error.code());
    }
    if state.is_draining() {
        let body =
            json!({"error": {"code": "UNAVAILABLE", "message": "The server is shutting down"}});
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    }
    ws.max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| serve(socket, verified, state))
}

#[derive(Deserialize)]
struct Incoming {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: Json,
}

async fn serve(
    socket: WebSocket,
    verified: Option<Result<Identity, switchboard_core::TokenError>>,
    state: SharedState,
) {
    let identity = verified.as_ref().and_then(|v| v.as_ref().ok()).cloned();
    let user_id = identity.as_ref().map(|identity| identity.user_id.clone());
    let (registration, mut outgoing) = state.plain_clients.register(user_id.clone());
    state.metrics.connected("/ws");
    let (mut sink, mut stream) = socket.split();

    let auth = match (&identity, &verified) {
        (Some(identity), _) => json!({"success": true, "userId": identity.user_id}),
        (None, Some(Err(error))) => json!({"success": false, "error": match error {
            switchboard_core::TokenError::Expired => "Token expired",
            switchboard_core::TokenError::Invalid => "Invalid token",
        }}),
        (None, _) => json!({"success": false, "error": "No token: public messages only"}),
    };
    // Why the server ends the connection, sent in the Close frame.
    let close_code = Arc::new(AtomicU16::new(close_code::NORMAL));
    let writer = tokio::spawn({
        let close_code = close_code.clone();
        async move {
            if sink
                .send(Frame::text(encode_json("auth", &auth)))
                .await
                .is_err()
            {
                return;
            }
            // Ends when the client is unregistered (its sender dropped).
            while let Some(text) = outgoing.recv().await {
                let frame = if text.is_empty() {
                    Frame::Ping(Default::default())
                } else {
                    Frame::text(text)
                };
                if sink.send(frame).await.is_err() {
                    return;
                }
            }
            let code = close_code.load(Ordering::Relaxed);
            let _ = sink
                .send(Frame::Close(Some(CloseFrame {
                    code,
                    reason: "".into(),
                })))
                .await;
        }
    });

    let settings = &state.config.plain_ws;
    let mut heartbeat = interval_at(
        Instant::now() + settings.ping_interval,
        settings.ping_interval,
    );
    let mut last_heard = Instant::now();
    let mut window = (Instant::now(), 0u32);
    let close = registration.close.clone();
    let own = registration.id;
    let reply = |text: String| state.plain_clients.deliver_to(own, text);

    loop {
        tokio::select! {
            frame = stream.next() => {
                let frame = match frame {
                    Some(Ok(frame)) => frame,
                    Some(Err(error)) => {
                        // Over MAX_FRAME_BYTES the transport refuses to read on.
                        let code = if error.to_string().contains("too long") {
                            close_code::SIZE
                        } else {
                            close_code::PROTOCOL
                        };
                        close_code.store(code, Ordering::Relaxed);
                        break;
                    }
                    None => break,
                };
                last_heard = Instant::now();
                let text = match frame {
                    Frame::Text(text) => text,
                    Frame::Binary(_) => {
                        reply(error("Invalid message format"));
                        continue;
                    }
                    Frame::Close(_) => break,
                    Frame::Ping(_) | Frame::Pong(_) => continue,
                };
                if !within_rate(&mut window) {
                    if window.1 == MESSAGES_PER_SECOND + 1 {
                        reply(error("Rate limit exceeded"));
                    }
                    continue;
                }
                if text.len() > MAX_MESSAGE_BYTES {
                    reply(error("Message too large"));
                    continue;
                }
                let Ok(message) = serde_json::from_str::<Incoming>(text.as_str()) else {
                    reply(error("Invalid message format"));
                    continue;
                };
                match message.kind.as_str() {
                    "ping" => reply(encode::<()>("pong", None)),
                    "pong" => {}
                    "user_presence" => match (&user_id, message.data.as_str()) {
                        (Some(user), Some(status @ ("online" | "away" | "busy" | "offline"))) => {
                            presence(&state, user, status);
                        }
                        (None, _) => reply(error("Authentication required for presence")),
                        (Some(_), _) => reply(error("Presence must be one of online, away, busy, offline")),
                    },
                    _ => reply(error("Unknown message type")),
                }
            }
            // Scheduled at the deadline itself, not on a heartbeat tick: a
            // silent client is closed when its idle timeout passes.
            () = tokio::time::sleep_until(last_heard + settings.idle_timeout) => {
                tracing::debug!(client = own, "plain websocket client silent; closing");
                close_code.store(close_code::AWAY, Ordering::Relaxed);
                break;
            }
            _ = heartbeat.tick() => {
                // Seed 003's `ping` message, for clients that answer with
                // `pong`; then a protocol ping (the empty message), which
                // every WebSocket stack answers by itself.
                reply(encode::<()>("ping", None));
                reply(String::new());
            }
            () = close.notified() => {
                let code = if state.is_draining() { close_code::AWAY } else { close_code::POLICY };
                close_code.store(code, Ordering::Relaxed);
                break;
            }
        }
    }

    drop(registration);
    // Let the writer flush and send the Close frame; a client that reads
    // nothing gets no more than a second.
    let abort = writer.abort_handle();
    if tokio::time::timeout(Duration::from_secs(1), writer)
        .await
        .is_err()
    {
        abort.abort();
    }
    state.metrics.disconnected("/ws");
    if let Some(user) = &user_id
        && !state.plain_clients.has_user(user)
    {
        presence(&state, user, "offline");
    }
}

/// Broadcasts `{userId, status}` to authenticated clients (the sender included).
fn presence(state: &SharedState, user: &str, status: &str) {
    let text = encode_json("user_presence", &json!({"userId": user, "status": status}));
    state
        .plain_clients
        .deliver(&Recipients::Authenticated, &text);
}

fn error(message: &str) -> String {
    encode_json("error", &json!({ "error": message }))
}

/// Counts a message in the current one-second window.
fn within_rate(window: &mut (Instant, u32)) -> bool {
    if window.0.elapsed() >= Duration::from_secs(1) {
        *window = (Instant::now(), 0);
    }
    window.1 += 1;
    window.1 <= MESSAGES_PER_SECOND
}
