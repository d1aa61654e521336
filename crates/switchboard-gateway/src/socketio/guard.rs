//! Events this node does not serve: unknown event names still get a clear answer.

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};
use switchboard_core::ErrorCode;

use super::args::Args;
use super::call::Call;
use crate::state::SharedState;

/// Any event without a handler: `NOT_FOUND`.
pub async fn unknown_event<A: Adapter>(
    event: &str,
    socket: SocketRef<A>,
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
