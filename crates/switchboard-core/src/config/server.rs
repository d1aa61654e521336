//! The server section: listening address, data directory, CORS origins and
//! how long shutdown waits.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::layer::Layer;
use super::values::{ConfigError, Printed, millis, print_ms, print_path};

/// Listening address, data directory and shutdown behaviour.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Interface to bind (default `127.0.0.1`).
    pub host: IpAddr,
    /// Port to bind (default `3000`; `0` picks a free one).
    pub port: u16,
    /// Directory for embedded state (default `./data`).
    pub data_dir: PathBuf,
    /// Origins allowed by CORS; empty allows any origin.
    pub cors_origins: Vec<String>,
    /// How long shutdown waits for connections to drain (default 10 s).
    pub shutdown_grace: Duration,
}

/// The interface to bind; `localhost` is accepted as `127.0.0.1`.
pub(super) fn host(layer: &Layer) -> Result<IpAddr, ConfigError> {
    match layer.host.as_deref() {
        None => Ok(IpAddr::from([127, 0, 0, 1])),
        Some("localhost") => Ok(IpAddr::from([127, 0, 0, 1])),
        Some(text) => text.parse().map_err(|_| ConfigError::Invalid {
            key: "host",
            message: format!("`{text}` is not an IP address"),
        }),
    }
}

/// The data directory; other sections place their default files inside it.
pub(super) fn data_dir(layer: &Layer) -> PathBuf {
    layer
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("./data"))
}

impl ServerConfig {
    /// The rest of the section, around the already checked `host` and `data_dir`.
    pub(super) fn from_layer(
        layer: &Layer,
        host: IpAddr,
        data_dir: PathBuf,
    ) -> Result<Self, ConfigError> {
        Ok(ServerConfig {
            host,
            port: layer.port.unwrap_or(3000),
            data_dir,
            cors_origins: layer.cors_origins.clone().unwrap_or_default().0,
            shutdown_grace: millis("shutdown_grace_ms", layer.shutdown_grace_ms, 10_000)?,
        })
    }

    pub(super) fn print(&self, keys: &mut Printed) {
        keys.insert("host", toml::Value::String(self.host.to_string()));
        keys.insert("port", toml::Value::Integer(self.port.into()));
        keys.insert("data_dir", print_path(&self.data_dir));
        keys.insert(
            "cors_origins",
            toml::Value::Array(
                self.cors_origins
                    .iter()
                    .cloned()
                    .map(toml::Value::String)
                    .collect(),
            ),
        );
        keys.insert("shutdown_grace_ms", print_ms(self.shutdown_grace));
    }
}
