//! Wire shapes every capability sends to Socket.IO clients (seed 001
//! spellings) and the timestamp format they use. Domain types never derive
//! these field names; each capability keeps its own shapes in its `wire.rs`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use switchboard_core::ErrorCode;

/// An ISO-8601 UTC timestamp with milliseconds, as clients expect.
pub fn iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
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

/// A `{success:true}` acknowledgement.
#[derive(Serialize)]
pub struct Success {
    pub success: bool,
}
