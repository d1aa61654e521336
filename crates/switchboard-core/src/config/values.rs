//! Value handling shared by every section: the error that names the
//! offending key, duration and count checks, lists given either way, and
//! how values print in the effective configuration (secrets masked).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Why a configuration could not be built. Each variant names its source.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML for these keys.
    #[error("invalid config file {path}: {message}")]
    ParseFile {
        /// The file.
        path: PathBuf,
        /// What the parser said, naming the key.
        message: String,
    },
    /// An environment variable has a value of the wrong type.
    #[error("invalid environment: {0}")]
    Environment(String),
    /// A key has a value that parses but is not allowed.
    #[error("invalid value for `{key}`: {message}")]
    Invalid {
        /// The key, as written in the file (upper-cased with the prefix in the environment).
        key: &'static str,
        /// Why the value is refused.
        message: String,
    },
}

/// A list given either as a TOML array or as one comma-separated string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "ListOrString")]
pub struct StringList(pub Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum ListOrString {
    List(Vec<String>),
    Joined(String),
}

impl From<ListOrString> for StringList {
    fn from(value: ListOrString) -> Self {
        let items = match value {
            ListOrString::List(items) => items,
            ListOrString::Joined(joined) => joined.split(',').map(str::to_owned).collect(),
        };
        StringList(
            items
                .into_iter()
                .map(|item| item.trim().to_owned())
                .filter(|item| !item.is_empty())
                .collect(),
        )
    }
}

/// A `*_ms` key as a duration, `default` when unset; zero is refused.
pub(super) fn millis(
    key: &'static str,
    value: Option<u64>,
    default: u64,
) -> Result<Duration, ConfigError> {
    match value.unwrap_or(default) {
        0 => Err(ConfigError::Invalid {
            key,
            message: "must be greater than 0".into(),
        }),
        ms => Ok(Duration::from_millis(ms)),
    }
}

/// A count that must be at least 1, `default` when unset.
pub(super) fn positive(
    key: &'static str,
    value: Option<usize>,
    default: usize,
) -> Result<usize, ConfigError> {
    match value {
        Some(0) => Err(ConfigError::Invalid {
            key,
            message: "must be at least 1".into(),
        }),
        value => Ok(value.unwrap_or(default)),
    }
}

/// The effective configuration being printed, key to value; a sorted map so
/// the output order does not depend on which section wrote first.
pub(super) type Printed = BTreeMap<&'static str, toml::Value>;

/// What a secret prints as.
pub(super) const MASK: &str = "********";

/// A path as a printed value.
pub(super) fn print_path(path: &Path) -> toml::Value {
    toml::Value::String(path.display().to_string())
}

/// A duration as a printed `*_ms` value.
pub(super) fn print_ms(duration: Duration) -> toml::Value {
    toml::Value::Integer(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX))
}

/// A count as a printed value.
pub(super) fn print_count(n: usize) -> toml::Value {
    toml::Value::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// `scheme://user:secret@host` becomes `scheme://user:********@host`.
pub(super) fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split_once(':').map_or("", |(user, _)| user);
            format!("{scheme}://{user}:{MASK}@{host}")
        }
        None => url.to_owned(),
    }
}
