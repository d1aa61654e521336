//! Wire shapes of the account events: greeting, sign-in, rooms, liveness.

use serde::Serialize;

pub use crate::wire::*;

/// `welcome`, first event on `/`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Welcome<'a> {
    pub message: &'a str,
    pub socket_id: String,
    pub server_time: String,
}

/// `authenticated`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Authenticated<'a> {
    pub user_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    pub authenticated_at: String,
}

/// `roomJoined` / `roomLeft` and the `joinRoom` / `leaveRoom` acks.
#[derive(Serialize)]
pub struct RoomResult<'a> {
    pub room: &'a str,
    pub success: bool,
}

/// `pong` and the `ping` ack.
#[derive(Serialize)]
pub struct Pong {
    pub timestamp: i64,
}

/// `heartbeatAck` and the `heartbeat` ack.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatAck {
    pub timestamp: i64,
    pub server_time: String,
    pub latency: Option<i64>,
}

/// The `getConnectionInfo` ack.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInfo {
    pub socket_id: String,
    pub connected: bool,
    pub rooms: Vec<String>,
    pub authenticated: bool,
    pub connected_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// The `authenticate` ack on success.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticateOk<'a> {
    pub success: bool,
    pub user_id: &'a str,
}
