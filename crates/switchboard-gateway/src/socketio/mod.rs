//! The Socket.IO layer every capability shares: the namespaces, the
//! handshake, per-socket sessions, argument decoding, answering a call, and
//! the dispatchers that hand each event to its capability.
//!
//! Handlers are generic over the socketioxide [`Adapter`] so the same code
//! serves a single node (in-memory adapter) and a cluster (a shared adapter).

mod args;
mod call;
pub mod client_transports;
pub mod connections;
mod guard;
mod handshake;
mod session;
pub mod transport;

use serde_json::Value as Json;
use socketioxide::SocketIo;
use socketioxide::adapter::{Adapter, Emitter, LocalAdapter};
use socketioxide::extract::{AckSender, Event, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide_redis::drivers::redis::RedisDriver;
use socketioxide_redis::{InitError, RedisAdapter};

pub use self::args::Args;
pub use self::call::{Call, Refusal, emit};
pub use self::guard::unknown_event;
pub use self::session::Session;
use crate::account::{self, OnExpiry};
use crate::state::SharedState;
use crate::{agents, claude, media, notifications, strudel};

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

/// Every event of `/`, one line per capability; the prefix before `:`
/// names the capability, and the account events have none.
async fn dispatch_default<A: Adapter>(
    socket: SocketRef<A>,
    Event(event): Event,
    ack: AckSender<A>,
    state: State<SharedState>,
    args: Args,
) {
    let prefix = event.split_once(':').map(|(prefix, _)| prefix);
    match prefix {
        None => account::dispatch(&event, socket, ack, state, args).await,
        // The larger capabilities are boxed so that the small, frequent
        // account events do not carry their state.
        Some("claude") => Box::pin(claude::dispatch(&event, socket, ack, state, args)).await,
        Some("strudel") => Box::pin(strudel::dispatch(&event, socket, ack, state, args)).await,
        Some("agent") => Box::pin(agents::dispatch(&event, socket, ack, state, args)).await,
        Some(_) => unknown_event(&event, socket, ack, state, args).await,
    }
}

/// Every event of `/media` and `/notifications`, one line per capability.
async fn dispatch_private<A: Adapter>(
    socket: SocketRef<A>,
    Event(event): Event,
    ack: AckSender<A>,
    state: State<SharedState>,
    args: Args,
) {
    match socket.ns() {
        "/media" => media::dispatch(&event, socket, ack, state, args).await,
        _ => unknown_event(&event, socket, ack, state, args).await,
    }
}

/// `/` connected: `welcome`, then `authenticated` for a handshake token.
async fn on_default_connect<A: Adapter>(socket: SocketRef<A>) {
    let session = Session::of(&socket);
    let _turn = session.connect_turn();
    account::greet(&socket, &session);
}

/// A private namespace connected: `authenticated`; on `/notifications`,
/// what arrived while the user was offline.
async fn on_private_connect<A: Adapter>(socket: SocketRef<A>, State(state): State<SharedState>) {
    let session = Session::of(&socket);
    let _turn = session.connect_turn();
    let Some(identity) = session.identity() else {
        return;
    };
    account::sign_in(
        &socket,
        &session,
        identity.clone(),
        OnExpiry::CloseTransport,
    );
    if socket.ns() == "/notifications" {
        notifications::deliver_pending(&socket, &state, &identity.user_id).await;
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
