//! The Socket.IO section: Engine.IO heartbeat, payload limit, and how long
//! `/media` keeps a subscription to an item not created yet.

use std::time::Duration;

use super::layer::Layer;
use super::values::{ConfigError, Printed, millis, print_ms};

/// Engine.IO heartbeat and payload limits.
#[derive(Debug, Clone)]
pub struct SocketIoConfig {
    /// Interval between server pings (default 25 s).
    pub ping_interval: Duration,
    /// How long a pong may take before the connection is dropped (default 20 s).
    pub ping_timeout: Duration,
    /// Largest accepted message in bytes (default 1 MiB).
    pub max_payload_bytes: u64,
    /// How long `subscribeMedia` for an id not created yet waits for the item
    /// (default 60 s).
    pub media_pending_subscribe: Duration,
}

impl SocketIoConfig {
    pub(super) fn from_layer(layer: &Layer) -> Result<Self, ConfigError> {
        let ping_interval = millis("ping_interval_ms", layer.ping_interval_ms, 25_000)?;
        let ping_timeout = millis("ping_timeout_ms", layer.ping_timeout_ms, 20_000)?;
        let max_payload_bytes = layer.max_payload_bytes.unwrap_or(1024 * 1024);
        if max_payload_bytes < 1024 {
            return Err(ConfigError::Invalid {
                key: "max_payload_bytes",
                message: "must be at least 1024".into(),
            });
        }
        let media_pending_subscribe = millis(
            "media_pending_subscribe_ms",
            layer.media_pending_subscribe_ms,
            60_000,
        )?;
        Ok(SocketIoConfig {
            ping_interval,
            ping_timeout,
            max_payload_bytes,
            media_pending_subscribe,
        })
    }

    pub(super) fn print(&self, keys: &mut Printed) {
        keys.insert("ping_interval_ms", print_ms(self.ping_interval));
        keys.insert("ping_timeout_ms", print_ms(self.ping_timeout));
        keys.insert(
            "media_pending_subscribe_ms",
            print_ms(self.media_pending_subscribe),
        );
        keys.insert(
            "max_payload_bytes",
            toml::Value::Integer(i64::try_from(self.max_payload_bytes).unwrap_or(i64::MAX)),
        );
    }
}
