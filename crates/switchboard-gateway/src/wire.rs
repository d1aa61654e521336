//! Wire shapes every capability sends to Socket.IO clients (seed 001
//! spellings) and the timestamp format they use. Domain types never derive
//! these field names; each capability keeps its own shapes in its `wire.rs`.

use axum::http::header::HOST;
use axum::http::request::Parts;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use switchboard_core::ErrorCode;
use switchboard_core::config::ServerConfig;

/// An ISO-8601 UTC timestamp with milliseconds, as clients expect.
pub fn iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The base of the absolute URLs handed to the client that made `request`
/// (SPEC §1): `public_url`, else the `Host` it used ([`ServerConfig::base_url`]).
pub fn base_url(server: &ServerConfig, request: &Parts) -> String {
    let host = request
        .headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| request.uri.authority().map(|authority| authority.as_str()));
    server.base_url(host)
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
