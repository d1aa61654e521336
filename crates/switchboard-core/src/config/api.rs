//! The API section: who may call the backend HTTP API.

use super::layer::Layer;
use super::values::{MASK, Printed};

/// Who may call the backend HTTP API.
#[derive(Debug, Clone, Default)]
pub struct ApiConfig {
    /// Accepted `Authorization: Bearer` keys; none means the publish API is closed
    /// (admin JWTs still work).
    pub keys: Vec<String>,
}

impl ApiConfig {
    pub(super) fn from_layer(layer: &Layer) -> Self {
        ApiConfig {
            keys: layer.api_keys.clone().unwrap_or_default().0,
        }
    }

    /// Every key prints masked; only their count shows.
    pub(super) fn print(&self, keys: &mut Printed) {
        keys.insert(
            "api_keys",
            toml::Value::Array(
                self.keys
                    .iter()
                    .map(|_| toml::Value::String(MASK.into()))
                    .collect(),
            ),
        );
    }
}
