//! `ping`, `heartbeat` and `getConnectionInfo` (SPEC §3).

use chrono::Utc;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};
use switchboard_core::ErrorCode;

use super::wire;
use crate::socketio::Args;
use crate::socketio::Call;
use crate::state::SharedState;

/// `ping` (payload optional) -> ack and `pong {timestamp}`.
pub async fn ping<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("ping", socket, ack, state, &args).await else {
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
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("heartbeat", socket, ack, state, &args).await else {
        return;
    };
    // Millisecond clocks within about ±30000 years; anything else is not a time.
    const MAX_CLIENT_TIME: f64 = 1e15;
    let client_time = match args.number_or_field("timestamp") {
        Ok(time) if time.is_none_or(|t| t.is_finite() && t.abs() <= MAX_CLIENT_TIME) => time,
        _ => {
            return call.fail(
                ErrorCode::InvalidPayload,
                "heartbeat timestamp must be a number of milliseconds",
            );
        }
    };
    let now = Utc::now();
    let timestamp = now.timestamp_millis();
    #[allow(clippy::cast_possible_truncation)] // bounded by MAX_CLIENT_TIME above
    let latency = client_time.map(|t| timestamp - t.round() as i64);
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
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("getConnectionInfo", socket, ack, state, &args).await else {
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
