//! Events this node does not serve: `claude:*` (until a process runner is
//! configured) and unknown event names. Each still gets a clear answer.

use chrono::Utc;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Event, SocketRef, State};
use switchboard_core::ErrorCode;

use super::args::Args;
use super::call::Call;
use crate::state::SharedState;
use crate::wire;

/// The `claude:*` events; all require authentication (SPEC §4).
pub const CLAUDE_EVENTS: [&str; 3] = ["claude:execute", "claude:status", "claude:cancel"];

/// A `claude:*` event: `UNAUTHORIZED` for anonymous sockets, otherwise
/// `CLAUDE_UNAVAILABLE` because this node runs no Claude CLI.
pub async fn claude<A: Adapter>(
    socket: SocketRef<A>,
    Event(event): Event,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let name = CLAUDE_EVENTS
        .into_iter()
        .find(|known| *known == event)
        .unwrap_or("unknown");
    let Some(call) = Call::begin(name, socket, ack, state, &args).await else {
        return;
    };
    let (code, message) = if call.session.identity().is_none() {
        (
            ErrorCode::Unauthorized,
            "Authentication required to execute Claude commands",
        )
    } else {
        (
            ErrorCode::ClaudeUnavailable,
            "Claude CLI is not available on this server",
        )
    };
    if code == ErrorCode::Unauthorized {
        // Seed 000 clients switch on the generic `error` event as well.
        call.emit(
            "error",
            &wire::ErrorEvent {
                code,
                message,
                retry_after: None,
            },
        );
    }
    call.emit(
        "claude:error",
        &wire::ClaudeError {
            code,
            message,
            timestamp: wire::iso(Utc::now()),
        },
    );
    call.ack(&wire::Failure {
        success: false,
        error: message,
    });
}

/// Any event without a handler: `NOT_FOUND`.
pub async fn unknown_event<A: Adapter>(
    socket: SocketRef<A>,
    Event(event): Event,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("unknown", socket, ack, state, &args).await else {
        return;
    };
    let shown: String = event.chars().take(64).collect();
    tracing::debug!(sid = %call.socket.id, event = %shown, "unknown event");
    call.fail(ErrorCode::NotFound, &format!("Unknown event: {shown}"));
}
