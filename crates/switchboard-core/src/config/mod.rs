//! The one typed configuration, built from layers: built-in defaults <
//! `switchboard.toml` (or `--config FILE`) < `SWITCHBOARD_*` environment <
//! command-line flags.
//!
//! Every key has one name across the file, the environment and the printed
//! configuration: the file key `ping_interval_ms` is `SWITCHBOARD_PING_INTERVAL_MS`.
//! Layers are read into [`Layer`] (all keys optional), merged, then validated
//! into per-subsystem structs with errors that name the offending key.
//! Each subsystem's struct, checks and printing live in their own module.

mod agents;
mod api;
mod auth;
mod claude;
mod cluster;
mod layer;
mod log;
mod plain_ws;
mod server;
mod socketio;
mod store;
mod strudel;
mod values;

use std::path::Path;

pub use agents::{AgentConfig, LlmConfig, LlmProviderKind};
pub use api::ApiConfig;
pub use auth::{AuthConfig, GENERATED_SECRET_FILE, KeySource};
pub use claude::ClaudeConfig;
pub use cluster::ClusterConfig;
pub use layer::Layer;
pub use log::{LogConfig, LogFormat};
pub use plain_ws::PlainWsConfig;
pub use server::ServerConfig;
pub use socketio::SocketIoConfig;
pub use store::StoreConfig;
pub use strudel::StrudelConfig;
pub use values::{ConfigError, StringList};

/// Prefix shared by every configuration environment variable.
pub const ENV_PREFIX: &str = "SWITCHBOARD_";

/// Name of the file read from the working directory when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "switchboard.toml";

/// The effective configuration of one Switchboard node.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen and how to stop.
    pub server: ServerConfig,
    /// How tokens are verified and signed.
    pub auth: AuthConfig,
    /// Engine.IO / Socket.IO transport settings.
    pub socketio: SocketIoConfig,
    /// Where durable state lives.
    pub store: StoreConfig,
    /// How logs are written.
    pub log: LogConfig,
    /// How Claude CLI processes run.
    pub claude: ClaudeConfig,
    /// Shared services of a cluster.
    pub cluster: ClusterConfig,
    /// The HTTP API for backends.
    pub api: ApiConfig,
    /// The plain WebSocket endpoint `/ws`.
    pub plain_ws: PlainWsConfig,
    /// The agent runtime: LLM provider, workflows, limits.
    pub agents: AgentConfig,
    /// Strudel renders: limits, samples, audio retention.
    pub strudel: StrudelConfig,
}

impl Config {
    /// Loads the layers of a real process: the file (explicit, else
    /// `switchboard.toml` when present), the process environment, then `flags`.
    pub fn load(config_file: Option<&Path>, flags: Layer) -> Result<Self, ConfigError> {
        let file = match config_file {
            Some(path) => Layer::from_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                Layer::from_file(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => Layer::default(),
        };
        let env = Layer::from_env(std::env::vars())?;
        Config::from_layer(file.overlay(env).overlay(flags))
    }

    /// Validates a merged layer, filling defaults.
    pub fn from_layer(layer: Layer) -> Result<Self, ConfigError> {
        // Sections are checked in a fixed order so that a layer with several
        // bad keys always reports the same one first: the host leads and the
        // shutdown grace comes last.
        let host = server::host(&layer)?;
        let data_dir = server::data_dir(&layer);
        let auth = AuthConfig::from_layer(&layer, &data_dir)?;
        let socketio = SocketIoConfig::from_layer(&layer)?;
        let store = StoreConfig::from_layer(&layer, &data_dir)?;
        let claude = ClaudeConfig::from_layer(&layer, &data_dir)?;
        let cluster = ClusterConfig::from_layer(&layer)?;
        let api = ApiConfig::from_layer(&layer);
        let plain_ws = PlainWsConfig::from_layer(&layer)?;
        let agents = AgentConfig::from_layer(&layer)?;
        let strudel = StrudelConfig::from_layer(&layer)?;
        let server = ServerConfig::from_layer(&layer, host, data_dir)?;
        let log = LogConfig::from_layer(&layer);

        Ok(Config {
            server,
            auth,
            socketio,
            store,
            log,
            claude,
            cluster,
            api,
            plain_ws,
            agents,
            strudel,
        })
    }

    /// The effective configuration as `key = value` TOML, secrets masked.
    pub fn to_masked_toml(&self) -> String {
        let mut keys = values::Printed::new();
        self.server.print(&mut keys);
        self.auth.print(&mut keys);
        self.socketio.print(&mut keys);
        self.store.print(&mut keys);
        self.log.print(&mut keys);
        self.claude.print(&mut keys);
        self.api.print(&mut keys);
        self.plain_ws.print(&mut keys);
        self.cluster.print(&mut keys);
        self.agents.print(&mut keys);
        self.strudel.print(&mut keys);
        toml::to_string(&keys).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;

    /// A layer from `SWITCHBOARD_*` pairs, as the environment would give them.
    pub(super) fn env(pairs: &[(&str, &str)]) -> Layer {
        Layer::from_env(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
        .unwrap()
    }

    #[test]
    fn defaults_need_nothing() {
        let config = Config::from_layer(Layer::default()).unwrap();
        assert_eq!(config.server.port, 3000);
        assert_eq!(config.server.host.to_string(), "127.0.0.1");
        assert_eq!(config.socketio.ping_interval, Duration::from_secs(25));
        assert_eq!(config.socketio.ping_timeout, Duration::from_secs(20));
        assert_eq!(config.socketio.max_payload_bytes, 1 << 20);
        assert_eq!(
            config.auth.key,
            KeySource::GeneratedSecret(PathBuf::from("./data/jwt_secret"))
        );
        assert_eq!(
            config.store,
            StoreConfig::Sqlite(PathBuf::from("./data/switchboard.db"))
        );
    }

    #[test]
    fn invalid_values_are_refused_with_their_key() {
        let short = Layer {
            jwt_secret: Some(String::new()),
            ..Layer::default()
        };
        let error = Config::from_layer(short).unwrap_err().to_string();
        assert!(error.contains("jwt_secret"), "{error}");

        let zero = Layer {
            ping_interval_ms: Some(0),
            ..Layer::default()
        };
        let error = Config::from_layer(zero).unwrap_err().to_string();
        assert!(error.contains("ping_interval_ms"), "{error}");

        let postgres = Layer {
            database_url: Some("postgres://localhost/x".into()),
            ..Layer::default()
        };
        let error = Config::from_layer(postgres).unwrap_err().to_string();
        assert!(error.contains("database_url"), "{error}");
    }

    #[test]
    fn printed_config_masks_secrets_and_reparses() {
        let layer = Layer {
            jwt_secret: Some("a-very-secret-value-123".into()),
            ..Layer::default()
        };
        let printed = Config::from_layer(layer).unwrap().to_masked_toml();
        assert!(!printed.contains("a-very-secret-value-123"), "{printed}");
        assert!(printed.contains("jwt_secret = \"********\""), "{printed}");
        let reparsed: Layer = toml::from_str(&printed).unwrap();
        assert_eq!(reparsed.port, Some(3000));
        assert_eq!(reparsed.claude_max_concurrent, Some(4));
    }
}
