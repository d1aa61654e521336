//! Agent executions (SPEC §6, §8): the `agent:*` events, the relay that
//! turns the runtime's events into `agent:*` client events and `/api/ws`
//! monitor events, the `/api/ws` monitor itself, and the workflow and
//! execution routes.

mod handlers;
mod monitor;
mod payload;
pub mod relay;
mod resume;
mod routes;

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};

pub use self::monitor::{Monitors, upgrade as monitor_upgrade};
pub use self::routes::{Doc, routes};
use crate::socketio::{Args, unknown_event};
use crate::state::SharedState;

/// The `agent:*` events of `/`.
pub async fn dispatch<A: Adapter>(
    event: &str,
    socket: SocketRef<A>,
    ack: AckSender<A>,
    state: State<SharedState>,
    args: Args,
) {
    match event {
        "agent:workflow:execute" => handlers::execute(socket, ack, state, args).await,
        "agent:workflow:status" => handlers::status(socket, ack, state, args).await,
        "agent:workflow:cancel" => handlers::cancel(socket, ack, state, args).await,
        "agent:workflow:pause" => handlers::pause(socket, ack, state, args).await,
        "agent:workflow:resume" => handlers::resume(socket, ack, state, args).await,
        "agent:workflow:approve" => handlers::approve(socket, ack, state, args).await,
        "agent:orchestrate" => handlers::orchestrate(socket, ack, state, args).await,
        "agent:critique:execute" => handlers::critique(socket, ack, state, args).await,
        "agent:discussion:execute" => handlers::discuss(socket, ack, state, args).await,
        _ => unknown_event(event, socket, ack, state, args).await,
    }
}
