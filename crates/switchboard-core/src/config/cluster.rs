//! The cluster section: the Redis shared by the nodes of a cluster.

use super::layer::Layer;
use super::values::{ConfigError, Printed, mask_password};

/// Services shared by the nodes of a cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterConfig {
    /// Redis URL; turns on the Redis Socket.IO adapter (cross-node
    /// broadcast) and Redis-backed rate limits.
    pub redis_url: Option<String>,
    /// Prefix of the adapter's Redis channels (default `switchboard`);
    /// nodes of one cluster share it.
    pub redis_prefix: String,
}

impl ClusterConfig {
    pub(super) fn from_layer(layer: &Layer) -> Result<Self, ConfigError> {
        let redis_url = layer.redis_url.clone().filter(|url| !url.is_empty());
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(ConfigError::Invalid {
                key: "redis_url",
                message: "expected redis://HOST:PORT".into(),
            });
        }
        Ok(ClusterConfig {
            redis_url,
            redis_prefix: layer
                .redis_prefix
                .clone()
                .filter(|prefix| !prefix.is_empty())
                .unwrap_or_else(|| "switchboard".into()),
        })
    }

    /// The URL prints with its password masked.
    pub(super) fn print(&self, keys: &mut Printed) {
        keys.insert(
            "redis_prefix",
            toml::Value::String(self.redis_prefix.clone()),
        );
        if let Some(url) = &self.redis_url {
            keys.insert("redis_url", toml::Value::String(mask_password(url)));
        }
    }
}
