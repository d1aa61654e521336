//! Notifications (SPEC §7): stored per user, delivered live on
//! `/notifications` and `/ws`, delivered on the next connect to a user who
//! was offline, and listed and marked read over HTTP.

mod delivery;
mod routes;

use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;

pub use self::routes::{Doc, routes};
use crate::socketio::emit;
use crate::state::SharedState;

/// Sends a user's newly connected `/notifications` socket what arrived
/// while they were offline.
pub async fn deliver_pending<A: Adapter>(
    socket: &SocketRef<A>,
    state: &SharedState,
    user_id: &str,
) {
    match state.store.take_undelivered(user_id).await {
        Ok(pending) => {
            for notification in &pending {
                emit(
                    socket,
                    "notification",
                    &delivery::notification_payload(notification),
                );
            }
        }
        Err(error) => tracing::error!(%error, "cannot load undelivered notifications"),
    }
}
