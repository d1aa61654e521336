//! Wire shapes sent to Socket.IO clients (seed 001 spellings) and the
//! timestamp formats they use. Domain types never derive these field names.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use switchboard_core::ErrorCode;

/// An ISO-8601 UTC timestamp with milliseconds, as clients expect.
pub fn iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

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

/// `authError`, `loggedOut`: a message alone.
#[derive(Serialize)]
pub struct Message<'a> {
    pub message: &'a str,
}

/// The generic `error` event and its codes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorEvent<'a> {
    pub code: ErrorCode,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// A `{success:false, error}` acknowledgement.
#[derive(Serialize)]
pub struct Failure<'a> {
    pub success: bool,
    pub error: &'a str,
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

/// A `{success:true}` acknowledgement.
#[derive(Serialize)]
pub struct Success {
    pub success: bool,
}

/// `claude:error`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaudeError<'a> {
    pub code: ErrorCode,
    pub message: &'a str,
    pub timestamp: String,
}
