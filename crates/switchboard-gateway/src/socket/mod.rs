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
use socketioxide::extract::{AckSender, Event, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide_redis::drivers::redis::RedisDriver;
use socketioxide_redis::{InitError, RedisAdapter};

use self::account::OnExpiry;
use self::args::Args;
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
    socket.on_fallback(dispatch_default::<A>);
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
    socket.on_fallback(dispatch_private::<A>);
    track(&socket, &state);
    Ok(())
}

// One handler a socket, routing by event name, rather than a table of
// handlers built for every socket: socketioxide keeps per-socket handler
// maps, which cost each idle connection more than a kilobyte.

/// Every event of `/`.
async fn dispatch_default<A: Adapter>(
    socket: SocketRef<A>,
    Event(event): Event,
    ack: AckSender<A>,
    state: State<SharedState>,
    args: Args,
) {
    match event.as_str() {
        "authenticate" => account::authenticate(socket, ack, state, args).await,
        "logout" => account::logout(socket, ack, state, args).await,
        "joinRoom" => rooms::join_room(socket, ack, state, args).await,
        "leaveRoom" => rooms::leave_room(socket, ack, state, args).await,
        "ping" => liveness::ping(socket, ack, state, args).await,
        "heartbeat" => liveness::heartbeat(socket, ack, state, args).await,
        "getConnectionInfo" => liveness::connection_info(socket, ack, state, args).await,
        // The larger handlers are boxed so that the small, frequent ones
        // above do not carry their state.
        "claude:execute" => Box::pin(claude::execute(socket, ack, state, args)).await,
        "claude:status" => Box::pin(claude::status(socket, ack, state, args)).await,
        "claude:cancel" => Box::pin(claude::cancel(socket, ack, state, args)).await,
        "strudel:validate" => Box::pin(strudel::validate(socket, ack, state, args)).await,
        "strudel:execute" => Box::pin(strudel::execute(socket, ack, state, args)).await,
        "strudel:cancel" => Box::pin(strudel::cancel(socket, ack, state, args)).await,
        "strudel:status" => Box::pin(strudel::status(socket, ack, state, args)).await,
        "agent:workflow:execute" => Box::pin(agent::execute(socket, ack, state, args)).await,
        "agent:workflow:status" => Box::pin(agent::status(socket, ack, state, args)).await,
        "agent:workflow:cancel" => Box::pin(agent::cancel(socket, ack, state, args)).await,
        "agent:workflow:pause" => Box::pin(agent::pause(socket, ack, state, args)).await,
        "agent:workflow:resume" => Box::pin(agent::resume(socket, ack, state, args)).await,
        "agent:workflow:approve" => Box::pin(agent::approve(socket, ack, state, args)).await,
        "agent:orchestrate" => Box::pin(agent::orchestrate(socket, ack, state, args)).await,
        "agent:critique:execute" => Box::pin(agent::critique(socket, ack, state, args)).await,
        "agent:discussion:execute" => Box::pin(agent::discuss(socket, ack, state, args)).await,
        _ => guard::unknown_event(socket, &event, ack, state, args).await,
    }
}

/// Every event of `/media` and `/notifications`.
async fn dispatch_private<A: Adapter>(
    socket: SocketRef<A>,
    Event(event): Event,
    ack: AckSender<A>,
    state: State<SharedState>,
    args: Args,
) {
    match (socket.ns(), event.as_str()) {
        ("/media", "subscribeMedia") => media::subscribe(socket, ack, state, args).await,
        ("/media", "unsubscribeMedia") => media::unsubscribe(socket, ack, state, args).await,
        _ => guard::unknown_event(socket, &event, ack, state, args).await,
    }
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
