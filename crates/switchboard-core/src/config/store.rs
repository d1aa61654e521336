//! The store section: which database holds durable state.

use std::path::{Path, PathBuf};

use super::layer::Layer;
use super::values::{ConfigError, Printed};

/// Which database holds durable state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// Embedded SQLite database file.
    Sqlite(PathBuf),
}

impl StoreConfig {
    /// `database_url`, else a SQLite file in `data_dir`.
    pub(super) fn from_layer(layer: &Layer, data_dir: &Path) -> Result<Self, ConfigError> {
        Ok(match layer.database_url.as_deref() {
            None => StoreConfig::Sqlite(data_dir.join("switchboard.db")),
            Some(url) => match url.split_once("://") {
                Some(("sqlite", path)) if !path.is_empty() => {
                    StoreConfig::Sqlite(PathBuf::from(path))
                }
                _ => {
                    return Err(ConfigError::Invalid {
                        key: "database_url",
                        message: "expected sqlite://PATH (PostgreSQL is not supported yet)".into(),
                    });
                }
            },
        })
    }

    pub(super) fn print(&self, keys: &mut Printed) {
        let StoreConfig::Sqlite(db) = self;
        keys.insert(
            "database_url",
            toml::Value::String(format!("sqlite://{}", db.display())),
        );
    }
}
