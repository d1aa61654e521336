//! `joinRoom` / `leaveRoom` (SPEC §3): authenticated sockets only, names
//! validated, reserved prefixes checked against ownership, at most
//! [`MAX_ROOMS_PER_SOCKET`] rooms joined.

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};
use switchboard_core::room::{self, MAX_ROOMS_PER_SOCKET, RoomName, RoomScope};
use switchboard_core::{ErrorCode, Identity};

use super::wire;
use crate::socketio::Args;
use crate::socketio::Call;
use crate::state::SharedState;

/// Validates the request common to both events: an identity and a room name.
fn requested_room<A: Adapter>(call: Call<A>, args: &Args) -> Option<(Call<A>, Identity, RoomName)> {
    let Some(identity) = call.session.identity() else {
        call.fail(
            ErrorCode::Unauthorized,
            "Authentication required to join rooms",
        );
        return None;
    };
    let name = match args.string_or_field("room") {
        Ok(Some(name)) => name,
        Ok(None) | Err(()) => {
            call.fail(ErrorCode::InvalidPayload, "Room name must be a string");
            return None;
        }
    };
    match RoomName::parse(name) {
        Ok(room) => Some((call, identity, room)),
        Err(error) => {
            call.fail(ErrorCode::InvalidPayload, &error.to_string());
            None
        }
    }
}

/// `joinRoom(name)`.
pub async fn join_room<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("joinRoom", socket, ack, state, &args).await else {
        return;
    };
    let Some((call, identity, room)) = requested_room(call, &args) else {
        return;
    };

    let owner = match room.scope() {
        RoomScope::Owned(kind, id) => match call.state.store.owner_of(kind, id).await {
            Ok(owner) => owner,
            Err(error) => {
                tracing::error!(%error, room = room.as_str(), "ownership lookup failed");
                return call.fail(ErrorCode::Internal, "Internal error");
            }
        },
        _ => None,
    };
    if let Err(denied) = room::authorize(&identity, room.scope(), owner.as_deref()) {
        return call.fail(ErrorCode::Forbidden, &denied.to_string());
    }

    // The lookup above awaited: make sure the socket is still who it was.
    if call.session.identity().as_ref() != Some(&identity) {
        return call.fail(
            ErrorCode::Unauthorized,
            "Authentication required to join rooms",
        );
    }
    let joined = joined_rooms(&call.socket, &identity);
    if joined.len() >= MAX_ROOMS_PER_SOCKET && !joined.iter().any(|r| r == room.as_str()) {
        return call.fail(
            ErrorCode::Forbidden,
            &format!("Room limit reached: at most {MAX_ROOMS_PER_SOCKET} rooms per socket"),
        );
    }

    call.socket.join(room.as_str().to_owned());
    let result = wire::RoomResult {
        room: room.as_str(),
        success: true,
    };
    call.emit("roomJoined", &result);
    call.ack(&result);
}

/// `leaveRoom(name)`; leaving a room the socket is not in succeeds.
pub async fn leave_room<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("leaveRoom", socket, ack, state, &args).await else {
        return;
    };
    let Some((call, _identity, room)) = requested_room(call, &args) else {
        return;
    };
    call.socket.leave(room.as_str().to_owned());
    let result = wire::RoomResult {
        room: room.as_str(),
        success: true,
    };
    call.emit("roomLeft", &result);
    call.ack(&result);
}

/// Rooms the socket joined itself: not its own id, not its `user:` room.
fn joined_rooms<A: Adapter>(socket: &SocketRef<A>, identity: &Identity) -> Vec<String> {
    let own = RoomName::of_user(&identity.user_id);
    let sid = socket.id.to_string();
    socket
        .rooms()
        .into_iter()
        .map(|room| room.to_string())
        .filter(|room| *room != own && *room != sid)
        .collect()
}
