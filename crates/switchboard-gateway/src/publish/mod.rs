//! What backends push to users (SPEC §7, seed 003): the hub, one door that
//! delivers a publish to Socket.IO sockets (through the adapter) and `/ws`
//! clients, and the HTTP routes backends publish through.

pub mod hub;
mod routes;

pub use self::routes::{Doc, routes};
