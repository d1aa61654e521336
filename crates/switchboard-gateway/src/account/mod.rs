//! Who a socket is and whether it is alive (SPEC §2–§3): the greeting,
//! sign-in from the handshake or `authenticate`, `logout`, demotion at the
//! token's expiry, `joinRoom`/`leaveRoom`, and `ping`/`heartbeat`/
//! `getConnectionInfo`.

mod liveness;
mod rooms;
mod sign_in;
mod wire;

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};

pub use self::sign_in::{OnExpiry, sign_in};
use crate::socketio::{Args, Session, emit, unknown_event};
use crate::state::SharedState;

/// The account events of `/`.
pub async fn dispatch<A: Adapter>(
    event: &str,
    socket: SocketRef<A>,
    ack: AckSender<A>,
    state: State<SharedState>,
    args: Args,
) {
    match event {
        "authenticate" => sign_in::authenticate(socket, ack, state, args).await,
        "logout" => sign_in::logout(socket, ack, state, args).await,
        "joinRoom" => rooms::join_room(socket, ack, state, args).await,
        "leaveRoom" => rooms::leave_room(socket, ack, state, args).await,
        "ping" => liveness::ping(socket, ack, state, args).await,
        "heartbeat" => liveness::heartbeat(socket, ack, state, args).await,
        "getConnectionInfo" => liveness::connection_info(socket, ack, state, args).await,
        _ => unknown_event(event, socket, ack, state, args).await,
    }
}

/// Greets a socket on `/`: `welcome`, then `authenticated` when the
/// handshake carried a valid token.
pub fn greet<A: Adapter>(socket: &SocketRef<A>, session: &Session) {
    emit(
        socket,
        "welcome",
        &wire::Welcome {
            message: "Welcome to Switchboard",
            socket_id: socket.id.to_string(),
            server_time: wire::iso(chrono::Utc::now()),
        },
    );
    if let Some(identity) = session.identity() {
        sign_in(socket, session, identity, OnExpiry::Demote);
    }
}
