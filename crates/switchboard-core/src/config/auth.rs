//! The auth section: where the JWT key comes from.

use std::path::{Path, PathBuf};

use super::layer::Layer;
use super::values::{ConfigError, MASK, Printed, print_path};

/// Name of the generated HS256 secret inside the data directory.
pub const GENERATED_SECRET_FILE: &str = "jwt_secret";

/// Where the JWT key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// HS256 with a configured shared secret.
    Secret(String),
    /// RS256 or ES256, verified with the PEM public key at this path.
    PublicKeyPem(PathBuf),
    /// HS256 with a random secret kept in this file, created on first use.
    GeneratedSecret(PathBuf),
}

/// Token verification settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The key material tokens are checked against.
    pub key: KeySource,
}

impl AuthConfig {
    /// A shared secret or a public key, not both; neither means a secret
    /// generated in `data_dir`.
    pub(super) fn from_layer(layer: &Layer, data_dir: &Path) -> Result<Self, ConfigError> {
        let key = match (layer.jwt_secret.clone(), layer.jwt_public_key.clone()) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Invalid {
                    key: "jwt_secret",
                    message: "set either jwt_secret or jwt_public_key, not both".into(),
                });
            }
            (Some(secret), None) if secret.is_empty() => {
                return Err(ConfigError::Invalid {
                    key: "jwt_secret",
                    message: "must not be empty".into(),
                });
            }
            (Some(secret), None) => KeySource::Secret(secret),
            (None, Some(path)) => KeySource::PublicKeyPem(path),
            (None, None) => KeySource::GeneratedSecret(data_dir.join(GENERATED_SECRET_FILE)),
        };
        Ok(AuthConfig { key })
    }

    pub(super) fn print(&self, keys: &mut Printed) {
        match &self.key {
            KeySource::Secret(_) => {
                keys.insert("jwt_secret", toml::Value::String(MASK.into()));
            }
            KeySource::PublicKeyPem(pem) => {
                keys.insert("jwt_public_key", print_path(pem));
            }
            KeySource::GeneratedSecret(file) => {
                keys.insert(
                    "jwt_secret",
                    toml::Value::String(format!("{MASK} (generated in {})", file.display())),
                );
            }
        }
    }
}
