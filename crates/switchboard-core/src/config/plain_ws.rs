//! The plain WebSocket section: heartbeat of the `/ws` endpoint.

use std::time::Duration;

use super::layer::Layer;
use super::values::{ConfigError, Printed, millis, print_ms};

/// Heartbeat of the plain WebSocket endpoint (seed 003).
#[derive(Debug, Clone)]
pub struct PlainWsConfig {
    /// How often the server pings each client (default 30 s).
    pub ping_interval: Duration,
    /// Silence after which a client is closed (default 60 s).
    pub idle_timeout: Duration,
}

impl PlainWsConfig {
    pub(super) fn from_layer(layer: &Layer) -> Result<Self, ConfigError> {
        Ok(PlainWsConfig {
            ping_interval: millis("ws_ping_interval_ms", layer.ws_ping_interval_ms, 30_000)?,
            idle_timeout: millis("ws_idle_timeout_ms", layer.ws_idle_timeout_ms, 60_000)?,
        })
    }

    pub(super) fn print(&self, keys: &mut Printed) {
        keys.insert("ws_ping_interval_ms", print_ms(self.ping_interval));
        keys.insert("ws_idle_timeout_ms", print_ms(self.idle_timeout));
    }
}
