//! Strudel renders (SPEC §5): the `strudel:*` events, the relay that turns
//! render events into `strudel:*` client events and `/media` updates, and
//! `GET /audio/{name}`.

mod handlers;
pub mod relay;
mod routes;

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};

pub use self::routes::audio;
use crate::socketio::{Args, unknown_event};
use crate::state::SharedState;

/// The `strudel:*` events of `/`.
pub async fn dispatch<A: Adapter>(
    event: &str,
    socket: SocketRef<A>,
    ack: AckSender<A>,
    state: State<SharedState>,
    args: Args,
) {
    match event {
        "strudel:validate" => handlers::validate(socket, ack, state, args).await,
        "strudel:execute" => handlers::execute(socket, ack, state, args).await,
        "strudel:cancel" => handlers::cancel(socket, ack, state, args).await,
        "strudel:status" => handlers::status(socket, ack, state, args).await,
        _ => unknown_event(event, socket, ack, state, args).await,
    }
}
