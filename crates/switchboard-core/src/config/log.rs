//! The log section: how log lines are written.

use serde::Deserialize;

use super::layer::Layer;
use super::values::Printed;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Logging settings.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// Output format (default `text`).
    pub format: LogFormat,
}

impl LogConfig {
    pub(super) fn from_layer(layer: &Layer) -> Self {
        LogConfig {
            format: layer.log_format.unwrap_or(LogFormat::Text),
        }
    }

    pub(super) fn print(&self, keys: &mut Printed) {
        let format = match self.format {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        };
        keys.insert("log_format", toml::Value::String(format.into()));
    }
}
