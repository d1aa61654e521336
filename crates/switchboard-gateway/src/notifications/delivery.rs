//! Notifications (SPEC §7): their event payloads, and delivery of a new one
//! to `/notifications` and `/ws` clients, stored for a user who is offline.

use chrono::Utc;
use serde_json::{Value as Json, json};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use switchboard_core::process::random_id;
use switchboard_core::room::RoomName;
use switchboard_store::{Notification, Store, StoreError};

use crate::plain_ws::{self, PlainClients, Recipients};
use crate::publish::hub;
use crate::wire;

/// Notification types (seed 001), also the `/ws` `level`.
pub const NOTIFICATION_TYPES: [&str; 4] = ["info", "success", "warning", "error"];

/// The `notification` event payload.
pub fn notification_payload(notification: &Notification) -> Json {
    let mut payload = json!({
        "id": notification.id,
        "type": notification.kind,
        "title": notification.title,
        "message": notification.message,
        "timestamp": wire::iso(notification.created_at),
    });
    if let Some(data) = notification
        .data
        .as_deref()
        .and_then(|d| serde_json::from_str::<Json>(d).ok())
    {
        payload["data"] = data;
    }
    payload
}

/// A notification as listed over HTTP: the event payload plus `read`.
pub fn notification_view(notification: &Notification) -> Json {
    let mut view = notification_payload(notification);
    view["read"] = json!(notification.read_at.is_some());
    view
}

/// A notification a backend sends; seed 003's
/// `sendNotification(level, message, userId)` is `{level, message, userId?}`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewNotification {
    /// The recipient; every authenticated client when absent.
    pub user_id: Option<String>,
    /// One of [`NOTIFICATION_TYPES`]; `level` is accepted for it (seed 003).
    #[serde(rename = "type", alias = "level")]
    pub kind: String,
    /// Title; empty when absent.
    #[serde(default)]
    pub title: String,
    /// Body.
    pub message: String,
    /// Extra data.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Json>,
}

impl NewNotification {
    /// Why the notification is refused, if it is.
    pub fn problem(&self) -> Option<&'static str> {
        if !NOTIFICATION_TYPES.contains(&self.kind.as_str()) {
            return Some("type must be one of info, success, warning, error");
        }
        if self.user_id.as_deref() == Some("") {
            return Some("userId must not be empty");
        }
        if self.title.is_empty() && self.message.is_empty() {
            return Some("title or message is required");
        }
        None
    }
}

/// Sends a new notification: to one user (stored; kept undelivered while
/// they have no `/notifications` socket) or to everyone authenticated (live
/// only). Notifications are never public: anonymous `/ws` clients get none.
pub async fn send_notification<A: Adapter>(
    io: &SocketIo<A>,
    plain: &PlainClients,
    store: &Store,
    new: &NewNotification,
) -> Result<String, StoreError> {
    let user_id = new.user_id.as_deref();
    let (kind, message) = (new.kind.as_str(), new.message.as_str());
    let notification = Notification {
        id: random_id("ntf"),
        user_id: user_id.unwrap_or_default().to_owned(),
        kind: kind.to_owned(),
        title: new.title.clone(),
        message: message.to_owned(),
        data: new.data.as_ref().map(Json::to_string),
        created_at: Utc::now(),
        read_at: None,
    };
    let payload = notification_payload(&notification);
    let plain_text =
        plain_ws::encode_json("notification", &json!({"level": kind, "message": message}));
    let Some(namespace) = io.of("/notifications") else {
        return Ok(notification.id);
    };
    match user_id {
        Some(user) => {
            let room = RoomName::of_user(user);
            // Online anywhere in the cluster counts as delivered; otherwise the
            // user's next `/notifications` connect delivers it.
            let online = match namespace.clone().to(room.clone()).fetch_sockets().await {
                Ok(sockets) => !sockets.is_empty(),
                Err(error) => {
                    tracing::warn!(%error, "cannot tell whether the user is online; keeping it for later");
                    false
                }
            };
            store.insert_notification(&notification, online).await?;
            hub::broadcast(namespace.to(room), "notification", &payload).await;
            plain.deliver(&Recipients::User(user.to_owned()), &plain_text);
        }
        None => {
            hub::broadcast(namespace, "notification", &payload).await;
            plain.deliver(&Recipients::Authenticated, &plain_text);
        }
    }
    Ok(notification.id)
}
