//! The Socket.IO namespaces and, in one place, every event they handle.
//!
//! Handlers are generic over the socketioxide [`Adapter`] so the same code
//! serves a single node (in-memory adapter) and a cluster (a shared adapter).

mod account;
mod args;
mod call;
mod guard;
mod handshake;
mod liveness;
mod rooms;
mod session;

use socketioxide::SocketIo;
use socketioxide::adapter::{Adapter, LocalAdapter};
use socketioxide::extract::{SocketRef, State};
use socketioxide::handler::ConnectHandler;

use self::account::OnExpiry;
use self::call::emit;
use self::session::Session;
use crate::state::SharedState;
use crate::wire;

/// Namespaces that refuse anonymous sockets.
pub const PRIVATE_NAMESPACES: [&str; 2] = ["/media", "/notifications"];

/// Every namespace this node serves.
pub const NAMESPACES: [&str; 3] = ["/", PRIVATE_NAMESPACES[0], PRIVATE_NAMESPACES[1]];

/// Registers every namespace on a single node's `io`. (A cluster adapter's
/// registration is asynchronous; it reuses the same generic handlers.)
pub fn register(io: &SocketIo<LocalAdapter>, state: &SharedState) {
    type A = LocalAdapter;
    for namespace in NAMESPACES {
        state.metrics.track_namespace(namespace);
    }
    io.ns(
        "/",
        on_default_connect::<A>.with(handshake::allow_anonymous::<A>),
    );
    for namespace in PRIVATE_NAMESPACES {
        io.ns(
            namespace,
            on_private_connect::<A>.with(handshake::require_token::<A>),
        );
    }
}

/// `/`: welcome, optional identity, and the events of SPEC §2–§4.
async fn on_default_connect<A: Adapter>(socket: SocketRef<A>, State(state): State<SharedState>) {
    let session = connected(&socket, &state);
    emit(
        &socket,
        "welcome",
        &wire::Welcome {
            message: "Welcome to Switchboard",
            socket_id: socket.id.to_string(),
            server_time: wire::iso(chrono::Utc::now()),
        },
    );
    if let Some(identity) = session.identity() {
        account::sign_in(&socket, &session, identity, OnExpiry::Demote);
    }

    socket.on("authenticate", account::authenticate::<A>);
    socket.on("logout", account::logout::<A>);
    socket.on("joinRoom", rooms::join_room::<A>);
    socket.on("leaveRoom", rooms::leave_room::<A>);
    socket.on("ping", liveness::ping::<A>);
    socket.on("heartbeat", liveness::heartbeat::<A>);
    socket.on("getConnectionInfo", liveness::connection_info::<A>);
    for event in guard::CLAUDE_EVENTS {
        socket.on(event, guard::claude::<A>);
    }
    socket.on_fallback(guard::unknown_event::<A>);
}

/// `/media`, `/notifications`: always authenticated by the handshake.
async fn on_private_connect<A: Adapter>(socket: SocketRef<A>, State(state): State<SharedState>) {
    let session = connected(&socket, &state);
    if let Some(identity) = session.identity() {
        account::sign_in(&socket, &session, identity, OnExpiry::Disconnect);
    }
    socket.on_fallback(guard::unknown_event::<A>);
}

/// Bookkeeping shared by every namespace: the connection gauge and cleanup.
fn connected<A: Adapter>(socket: &SocketRef<A>, state: &SharedState) -> Session {
    let session = Session::of(socket);
    let namespace = socket.ns().to_owned();
    state.metrics.connected(&namespace);
    tracing::debug!(sid = %socket.id, namespace, user = ?session.identity().map(|i| i.user_id), "connected");
    socket.on_disconnect(on_disconnect::<A>);
    session
}

async fn on_disconnect<A: Adapter>(socket: SocketRef<A>, State(state): State<SharedState>) {
    Session::of(&socket).close();
    state.metrics.disconnected(socket.ns());
    tracing::debug!(sid = %socket.id, namespace = socket.ns(), "disconnected");
}
