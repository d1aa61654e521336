//! One door for events from backends to users: a publish reaches the
//! Socket.IO sockets it targets (through the adapter, so every node of a
//! cluster) and the matching `/ws` clients of this node.

use serde::Serialize;
use serde_json::Value as Json;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::operators::BroadcastOperators;
use switchboard_core::room::RoomName;

use crate::plain_ws::{self, PlainClients, Recipients};
use crate::socketio::NAMESPACES;

/// The namespace name that means "the plain WebSocket clients".
pub const PLAIN_WS: &str = "/ws";

/// Events a client library reserves; a backend may not publish them.
const RESERVED_EVENTS: [&str; 7] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
    "error",
];

/// Who a publish is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Everyone in the namespace (authenticated `/ws` clients for `/ws`).
    Everyone,
    /// One Socket.IO room.
    Room(String),
    /// One user's sockets and `/ws` clients.
    User(String),
}

/// A validated publish.
#[derive(Debug, Clone)]
pub struct Publish {
    /// `/`, `/media`, `/notifications` or `/ws`.
    pub namespace: String,
    /// Who gets it.
    pub audience: Audience,
    /// The event name (the `type` for `/ws`).
    pub event: String,
    /// The payload.
    pub data: Json,
}

/// Why a publish was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Not a namespace this server serves.
    #[error("namespace must be one of /, /media, /notifications, /ws")]
    UnknownNamespace,
    /// Both a room and a user were given.
    #[error("give room or userId, not both")]
    Ambiguous,
    /// `/ws` clients have no rooms.
    #[error("/ws has no rooms; publish to a userId or to everyone")]
    NoRoomsOnPlainWs,
    /// The event name is empty, too long, or reserved.
    #[error("event must be 1..=128 characters and not a reserved name")]
    BadEvent,
    /// The room name is not valid.
    #[error("{0}")]
    BadRoom(String),
}

impl Publish {
    /// Validates the parts of a publish request.
    pub fn new(
        namespace: String,
        room: Option<String>,
        user_id: Option<String>,
        event: String,
        data: Json,
    ) -> Result<Self, PublishError> {
        if namespace != PLAIN_WS && !NAMESPACES.contains(&namespace.as_str()) {
            return Err(PublishError::UnknownNamespace);
        }
        if event.is_empty()
            || event.chars().count() > 128
            || RESERVED_EVENTS.contains(&event.as_str())
        {
            return Err(PublishError::BadEvent);
        }
        let audience = match (room, user_id) {
            (Some(_), Some(_)) => return Err(PublishError::Ambiguous),
            (Some(_), None) if namespace == PLAIN_WS => return Err(PublishError::NoRoomsOnPlainWs),
            (Some(room), None) => {
                RoomName::parse(&room).map_err(|error| PublishError::BadRoom(error.to_string()))?;
                Audience::Room(room)
            }
            (None, Some(user)) if user.is_empty() => {
                return Err(PublishError::BadRoom("userId must not be empty".into()));
            }
            (None, Some(user)) => Audience::User(user),
            (None, None) => Audience::Everyone,
        };
        Ok(Publish {
            namespace,
            audience,
            event,
            data,
        })
    }
}

/// Delivers `publish`; returns how many `/ws` clients of this node got it.
pub async fn publish<A: Adapter>(
    io: &SocketIo<A>,
    plain: &PlainClients,
    publish: &Publish,
) -> usize {
    if publish.namespace != PLAIN_WS
        && let Some(namespace) = io.of(&publish.namespace)
    {
        let operators = match &publish.audience {
            Audience::Everyone => namespace,
            Audience::Room(room) => namespace.to(room.clone()),
            Audience::User(user) => namespace.to(RoomName::of_user(user)),
        };
        broadcast(operators, &publish.event, &publish.data).await;
    }
    let recipients = match &publish.audience {
        Audience::Room(_) => return 0,
        Audience::User(user) => Recipients::User(user.clone()),
        Audience::Everyone => Recipients::Authenticated,
    };
    plain.deliver(
        &recipients,
        &plain_ws::encode_json(&publish.event, &publish.data),
    )
}

/// Emits through the adapter, logging (not failing) when it cannot: one
/// client's or one node's trouble must not fail the sender.
pub async fn broadcast<A: Adapter, T: Serialize + ?Sized>(
    operators: BroadcastOperators<A>,
    event: &str,
    payload: &T,
) {
    if let Err(error) = operators.emit(event, payload).await {
        tracing::warn!(event, %error, "broadcast failed");
    }
}
