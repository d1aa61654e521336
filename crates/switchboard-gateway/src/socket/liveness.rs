//! `ping`, `heartbeat` and `getConnectionInfo` (SPEC §3).

use chrono::Utc;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};
use switchboard_core::ErrorCode;

use super::args::Args;
use super::call::Call;
use crate::state::SharedState;
use crate::wire;

/// `ping` (payload optional) -> ack and `pong {timestamp}`.
pub async fn ping<A: Adapter>(
    socket: SocketRef<A>,
    args: Args,
    ack: AckSender<A>,
    State(state): State<SharedState>,
) {
    let Some(call) = Call::begin("ping", socket, ack, state, &args) else {
        return;
    };
    let pong = wire::Pong {
        timestamp: Utc::now().timestamp_millis(),
    };
    call.emit("pong", &pong);
    call.ack(&pong);
}

/// `heartbeat {timestamp?}` -> ack and `heartbeatAck {timestamp, serverTime, latency}`.
pub async fn heartbeat<A: Adapter>(
    socket: SocketRef<A>,
    args: Args,
    ack: AckSender<A>,
    State(state): State<SharedState>,
) {
    let Some(call) = Call::begin("heartbeat", socket, ack, state, &args) else {
        return;
    };
    let Ok(client_time) = args.number_or_field("timestamp") else {
        return call.fail(
            ErrorCode::InvalidPayload,
            "heartbeat timestamp must be a number of milliseconds",
        );
    };
    let now = Utc::now();
    let timestamp = now.timestamp_millis();
    #[allow(clippy::cast_possible_truncation)] // client millisecond clocks fit easily
    let latency = client_time
        .filter(|t| t.is_finite())
        .map(|t| timestamp - t as i64);
    let beat = wire::HeartbeatAck {
        timestamp,
        server_time: wire::iso(now),
        latency,
    };
    call.emit("heartbeatAck", &beat);
    call.ack(&beat);
}

/// `getConnectionInfo` -> ack with the socket's id, rooms and identity.
pub async fn connection_info<A: Adapter>(
    socket: SocketRef<A>,
    args: Args,
    ack: AckSender<A>,
    State(state): State<SharedState>,
) {
    let Some(call) = Call::begin("getConnectionInfo", socket, ack, state, &args) else {
        return;
    };
    let identity = call.session.identity();
    let mut rooms: Vec<String> = call
        .socket
        .rooms()
        .into_iter()
        .map(|r| r.to_string())
        .collect();
    rooms.sort();
    let info = wire::ConnectionInfo {
        socket_id: call.socket.id.to_string(),
        connected: call.socket.connected(),
        rooms,
        authenticated: identity.is_some(),
        connected_at: wire::iso(call.session.connected_at()),
        user_id: identity.map(|identity| identity.user_id),
    };
    call.ack(&info);
}
