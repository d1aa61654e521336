//! Claude CLI runs (SPEC §4): the `claude:*` events, the relay that turns
//! the runner's events into `claude:*` client events, and the stored
//! processes over HTTP.

mod handlers;
pub mod relay;
mod routes;
mod wire;

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};

pub use self::routes::{Doc, routes};
use crate::socketio::{Args, unknown_event};
use crate::state::SharedState;

/// The `claude:*` events of `/`.
pub async fn dispatch<A: Adapter>(
    event: &str,
    socket: SocketRef<A>,
    ack: AckSender<A>,
    state: State<SharedState>,
    args: Args,
) {
    match event {
        "claude:execute" => handlers::execute(socket, ack, state, args).await,
        "claude:status" => handlers::status(socket, ack, state, args).await,
        "claude:cancel" => handlers::cancel(socket, ack, state, args).await,
        _ => unknown_event(event, socket, ack, state, args).await,
    }
}
