//! The plain WebSocket endpoint `/ws?token=` of seed 003: JSON messages
//! `{type, data?, timestamp}`, an `auth` message on open, `ping`/`pong`,
//! presence, and delivery of what backends publish.
//!
//! Unauthenticated clients stay connected and receive public messages
//! only. Every client is pinged and closed after a silence; each has an
//! incoming rate limit and a bounded outgoing buffer.

mod cluster;
mod connection;
mod registry;

pub use cluster::link;
pub use connection::upgrade;
pub use registry::{PlainClients, Recipients};

use chrono::Utc;
use serde::Serialize;
use serde_json::Value as Json;

use crate::wire;

/// A server message: `{type, data?, timestamp}`.
#[derive(Serialize)]
pub struct Message<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
    timestamp: String,
}

/// Encodes a server message stamped with the current time.
pub fn encode<T: Serialize>(kind: &str, data: Option<T>) -> String {
    let message = Message {
        kind,
        data,
        timestamp: wire::iso(Utc::now()),
    };
    serde_json::to_string(&message).unwrap_or_default()
}

/// Encodes a message with raw JSON data.
pub fn encode_json(kind: &str, data: &Json) -> String {
    encode(kind, Some(data))
}
