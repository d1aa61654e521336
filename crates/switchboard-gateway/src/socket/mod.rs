//! The Socket.IO namespaces and, in one place, every event they handle.
//!
//! Handlers are generic over the socketioxide [`Adapter`] so the same code
//! serves a single node (in-memory adapter) and a cluster (a shared adapter).

mod account;
mod agent;
mod args;
mod call;
mod claude;
mod guard;
mod handshake;
mod liveness;
mod media;
mod rooms;
mod session;
mod strudel;

use serde_json::Value as Json;
use socketioxide::SocketIo;
use socketioxide::adapter::{Adapter, Emitter, LocalAdapter};
use socketioxide::extract::{SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide_redis::drivers::redis::RedisDriver;
use socketioxide_redis::{InitError, RedisAdapter};

use self::account::OnExpiry;
use self::call::emit;
use self::session::{CONNECT_TICKET, Session};
use crate::state::SharedState;
use crate::wire;

/// Namespaces that refuse anonymous sockets.
pub const PRIVATE_NAMESPACES: [&str; 2] = ["/media", "/notifications"];

/// Every namespace this node serves.
pub const NAMESPACES: [&str; 3] = ["/", PRIVATE_NAMESPACES[0], PRIVATE_NAMESPACES[1]];

/// Registers every namespace on a single node's `io`.
pub fn register_local(io: &SocketIo<LocalAdapter>, state: &SharedState) {
    type A = LocalAdapter;
    track_namespaces(state);
    io.ns("/", on_default_connect::<A>.with(admit_default::<A>));
    for namespace in PRIVATE_NAMESPACES {
        io.ns(namespace, on_private_connect::<A>.with(admit_private::<A>));
    }
}

/// Registers every namespace on a cluster node's `io`; the Redis adapter
/// subscribes to its channels for each.
pub async fn register_cluster(
    io: &SocketIo<RedisAdapter<Emitter>>,
    state: &SharedState,
) -> Result<(), InitError<RedisDriver>> {
    type A = RedisAdapter<Emitter>;
    track_namespaces(state);
    io.ns("/", on_default_connect::<A>.with(admit_default::<A>))
        .await?;
    for namespace in PRIVATE_NAMESPACES {
        io.ns(namespace, on_private_connect::<A>.with(admit_private::<A>))
            .await?;
    }
    Ok(())
}

fn track_namespaces(state: &SharedState) {
    for namespace in NAMESPACES {
        state.metrics.track_namespace(namespace);
    }
}

// Event handlers are registered by the middlewares, which run before the
// client is told it is connected: an event it sends at once finds them.

/// `/`: optional token; the events of SPEC §2–§4.
async fn admit_default<A: Adapter>(
    socket: SocketRef<A>,
    TryData(auth): TryData<Json>,
    State(state): State<SharedState>,
) -> Result<(), handshake::AuthenticationError> {
    handshake::admit(&socket, auth.ok().as_ref(), &state, true)?;
    socket.on("authenticate", account::authenticate::<A>);
    socket.on("logout", account::logout::<A>);
    socket.on("joinRoom", rooms::join_room::<A>);
    socket.on("leaveRoom", rooms::leave_room::<A>);
    socket.on("ping", liveness::ping::<A>);
    socket.on("heartbeat", liveness::heartbeat::<A>);
    socket.on("getConnectionInfo", liveness::connection_info::<A>);
    socket.on("claude:execute", claude::execute::<A>);
    socket.on("claude:status", claude::status::<A>);
    socket.on("claude:cancel", claude::cancel::<A>);
    socket.on("strudel:validate", strudel::validate::<A>);
    socket.on("strudel:execute", strudel::execute::<A>);
    socket.on("strudel:cancel", strudel::cancel::<A>);
    socket.on("strudel:status", strudel::status::<A>);
    socket.on("agent:workflow:execute", agent::execute::<A>);
    socket.on("agent:workflow:status", agent::status::<A>);
    socket.on("agent:workflow:cancel", agent::cancel::<A>);
    socket.on("agent:workflow:pause", agent::pause::<A>);
    socket.on("agent:workflow:resume", agent::resume::<A>);
    socket.on("agent:workflow:approve", agent::approve::<A>);
    socket.on("agent:orchestrate", agent::orchestrate::<A>);
    socket.on("agent:critique:execute", agent::critique::<A>);
    socket.on("agent:discussion:execute", agent::discuss::<A>);
    socket.on_fallback(guard::unknown_event::<A>);
    track(&socket, &state);
    Ok(())
}

/// `/media`, `/notifications`: a valid token is required.
async fn admit_private<A: Adapter>(
    socket: SocketRef<A>,
    TryData(auth): TryData<Json>,
    State(state): State<SharedState>,
) -> Result<(), handshake::AuthenticationError> {
    handshake::admit(&socket, auth.ok().as_ref(), &state, false)?;
    if socket.ns() == "/media" {
        socket.on("subscribeMedia", media::subscribe::<A>);
        socket.on("unsubscribeMedia", media::unsubscribe::<A>);
    }
    socket.on_fallback(guard::unknown_event::<A>);
    track(&socket, &state);
    Ok(())
}

/// `/` connected: `welcome`, then `authenticated` for a handshake token.
async fn on_default_connect<A: Adapter>(socket: SocketRef<A>) {
    let session = Session::of(&socket);
    let _turn = session.turn(CONNECT_TICKET).await;
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
}

/// A private namespace connected: `authenticated`; on `/notifications`,
/// what arrived while the user was offline.
async fn on_private_connect<A: Adapter>(socket: SocketRef<A>, State(state): State<SharedState>) {
    let session = Session::of(&socket);
    let _turn = session.turn(CONNECT_TICKET).await;
    let Some(identity) = session.identity() else {
        return;
    };
    account::sign_in(&socket, &session, identity.clone(), OnExpiry::Disconnect);
    if socket.ns() == "/notifications" {
        match state.store.take_undelivered(&identity.user_id).await {
            Ok(pending) => {
                for notification in &pending {
                    emit(
                        &socket,
                        "notification",
                        &crate::notify::notification_payload(notification),
                    );
                }
            }
            Err(error) => tracing::error!(%error, "cannot load undelivered notifications"),
        }
    }
}

/// Whether a socket is signed in.
pub fn is_authenticated<A: Adapter>(socket: &SocketRef<A>) -> bool {
    socket
        .extensions
        .get::<Session>()
        .is_some_and(|session| session.identity().is_some())
}

/// The connection gauge and cleanup, shared by every namespace.
fn track<A: Adapter>(socket: &SocketRef<A>, state: &SharedState) {
    state.metrics.connected(socket.ns());
    tracing::debug!(sid = %socket.id, namespace = socket.ns(), "connected");
    socket.on_disconnect(on_disconnect::<A>);
}

async fn on_disconnect<A: Adapter>(socket: SocketRef<A>, State(state): State<SharedState>) {
    Session::of(&socket).close();
    state.metrics.disconnected(socket.ns());
    tracing::debug!(sid = %socket.id, namespace = socket.ns(), "disconnected");
}
