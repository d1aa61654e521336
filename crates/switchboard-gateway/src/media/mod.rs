//! Media items (SPEC §7): `subscribeMedia`/`unsubscribeMedia` on `/media`,
//! an item's state as the event its subscribers receive, and the routes a
//! backend reports progress and outcomes through.

mod announce;
mod handlers;
mod pending;
mod routes;

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};

pub use self::announce::announce_media;
pub use self::routes::{Doc, routes};
use crate::socketio::{Args, unknown_event};
use crate::state::SharedState;

/// The events of `/media`.
pub async fn dispatch<A: Adapter>(
    event: &str,
    socket: SocketRef<A>,
    ack: AckSender<A>,
    state: State<SharedState>,
    args: Args,
) {
    match event {
        "subscribeMedia" => handlers::subscribe(socket, ack, state, args).await,
        "unsubscribeMedia" => handlers::unsubscribe(socket, ack, state, args).await,
        _ => unknown_event(event, socket, ack, state, args).await,
    }
}
