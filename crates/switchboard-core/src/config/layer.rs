//! One configuration layer, all keys optional: read from the TOML file or
//! from `SWITCHBOARD_*` variables, and laid over another layer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ENV_PREFIX;
use super::agents::LlmProviderKind;
use super::log::LogFormat;
use super::values::{ConfigError, StringList};
// The field docs link to the sections each key feeds.
#[cfg(doc)]
use super::{
    AgentConfig, ClaudeConfig, ClusterConfig, LlmConfig, PlainWsConfig, ServerConfig,
    SocketIoConfig, StrudelConfig,
};

/// One configuration layer: every key optional, unknown keys refused.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// See [`ServerConfig::host`].
    pub host: Option<String>,
    /// See [`ServerConfig::port`].
    pub port: Option<u16>,
    /// See [`ServerConfig::data_dir`].
    pub data_dir: Option<PathBuf>,
    /// Comma-separated in the environment, a list in the file.
    pub cors_origins: Option<StringList>,
    /// See [`ServerConfig::shutdown_grace`].
    pub shutdown_grace_ms: Option<u64>,
    /// See [`ServerConfig::public_url`].
    pub public_url: Option<String>,
    /// See [`ServerConfig::http_header_timeout`].
    pub http_header_timeout_ms: Option<u64>,
    /// See [`ServerConfig::http_max_body_bytes`].
    pub http_max_body_bytes: Option<u64>,
    /// See [`ServerConfig::max_connections_per_ip`].
    pub max_connections_per_ip: Option<usize>,
    /// HS256 shared secret.
    pub jwt_secret: Option<String>,
    /// Path to a PEM public key for RS256/ES256.
    pub jwt_public_key: Option<PathBuf>,
    /// See [`SocketIoConfig::ping_interval`].
    pub ping_interval_ms: Option<u64>,
    /// See [`SocketIoConfig::ping_timeout`].
    pub ping_timeout_ms: Option<u64>,
    /// See [`SocketIoConfig::max_payload_bytes`].
    pub max_payload_bytes: Option<u64>,
    /// `sqlite://path`; PostgreSQL arrives with cluster mode.
    pub database_url: Option<String>,
    /// `text` or `json`.
    pub log_format: Option<LogFormat>,
    /// See [`ClaudeConfig::command`].
    pub claude_command: Option<PathBuf>,
    /// See [`ClaudeConfig::max_concurrent`].
    pub claude_max_concurrent: Option<usize>,
    /// See [`ClaudeConfig::max_per_user`].
    pub claude_max_per_user: Option<usize>,
    /// See [`ClaudeConfig::queue_timeout`].
    pub claude_queue_timeout_ms: Option<u64>,
    /// See [`ClaudeConfig::timeout`].
    pub claude_timeout_ms: Option<u64>,
    /// See [`ClaudeConfig::idle_timeout`].
    pub claude_idle_timeout_ms: Option<u64>,
    /// See [`ClaudeConfig::kill_grace`].
    pub claude_kill_grace_ms: Option<u64>,
    /// Comma-separated in the environment, a list in the file.
    pub claude_allowed_roots: Option<StringList>,
    /// See [`ClaudeConfig::rate_limit`].
    pub claude_rate_limit: Option<u32>,
    /// See [`ClusterConfig::redis_url`].
    pub redis_url: Option<String>,
    /// See [`ClusterConfig::redis_prefix`].
    pub redis_prefix: Option<String>,
    /// Comma-separated in the environment, a list in the file.
    pub api_keys: Option<StringList>,
    /// See [`PlainWsConfig::ping_interval`].
    pub ws_ping_interval_ms: Option<u64>,
    /// See [`PlainWsConfig::idle_timeout`].
    pub ws_idle_timeout_ms: Option<u64>,
    /// See [`SocketIoConfig::media_pending_subscribe`].
    pub media_pending_subscribe_ms: Option<u64>,
    /// See [`LlmConfig::provider`].
    pub llm_provider: Option<LlmProviderKind>,
    /// See [`LlmConfig::base_url`].
    pub llm_base_url: Option<String>,
    /// See [`LlmConfig::api_key`].
    pub llm_api_key: Option<String>,
    /// See [`LlmConfig::model`].
    pub llm_model: Option<String>,
    /// See [`LlmConfig::max_retries`].
    pub llm_max_retries: Option<u32>,
    /// See [`AgentConfig::workflows_dir`].
    pub workflows_dir: Option<PathBuf>,
    /// See [`AgentConfig::max_concurrent`].
    pub agent_max_concurrent: Option<usize>,
    /// See [`AgentConfig::max_per_user`].
    pub agent_max_per_user: Option<usize>,
    /// See [`AgentConfig::step_timeout`].
    pub agent_step_timeout_ms: Option<u64>,
    /// See [`AgentConfig::roles`]; a TOML table, not read from the environment.
    pub agent_roles: Option<BTreeMap<String, String>>,
    /// See [`AgentConfig::monitor_require_token`].
    pub monitor_require_token: Option<bool>,
    /// See [`StrudelConfig::samples_dir`].
    pub strudel_samples_dir: Option<PathBuf>,
    /// See [`StrudelConfig::max_duration_s`].
    pub strudel_max_duration_s: Option<f64>,
    /// See [`StrudelConfig::max_sample_rate`].
    pub strudel_max_sample_rate: Option<u32>,
    /// See [`StrudelConfig::max_events`].
    pub strudel_max_events: Option<usize>,
    /// See [`StrudelConfig::max_concurrent`].
    pub strudel_max_concurrent: Option<usize>,
    /// See [`StrudelConfig::audio_retention`].
    pub strudel_audio_retention_ms: Option<u64>,
}

impl Layer {
    /// Reads a TOML file layer.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|error| ConfigError::ParseFile {
            path: path.to_owned(),
            message: error.message().to_owned(),
        })
    }

    /// Reads the `SWITCHBOARD_*` variables out of `vars`; other variables are ignored.
    pub fn from_env<I>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let known: Vec<(String, String)> = vars
            .into_iter()
            .filter(|(name, _)| {
                name.strip_prefix(ENV_PREFIX)
                    .is_some_and(|key| KEYS.contains(&key.to_ascii_lowercase().as_str()))
            })
            .collect();
        envy::prefixed(ENV_PREFIX)
            .from_iter(known)
            // envy names the variable without its prefix; put the prefix back.
            .map_err(|error| {
                ConfigError::Environment(
                    error
                        .to_string()
                        .replace("provided by ", &format!("provided by {ENV_PREFIX}")),
                )
            })
    }

    /// Returns `self` with every key that `over` sets replaced by `over`'s value.
    pub fn overlay(self, over: Layer) -> Layer {
        Layer {
            host: over.host.or(self.host),
            port: over.port.or(self.port),
            data_dir: over.data_dir.or(self.data_dir),
            cors_origins: over.cors_origins.or(self.cors_origins),
            shutdown_grace_ms: over.shutdown_grace_ms.or(self.shutdown_grace_ms),
            public_url: over.public_url.or(self.public_url),
            http_header_timeout_ms: over.http_header_timeout_ms.or(self.http_header_timeout_ms),
            http_max_body_bytes: over.http_max_body_bytes.or(self.http_max_body_bytes),
            max_connections_per_ip: over.max_connections_per_ip.or(self.max_connections_per_ip),
            jwt_secret: over.jwt_secret.or(self.jwt_secret),
            jwt_public_key: over.jwt_public_key.or(self.jwt_public_key),
            ping_interval_ms: over.ping_interval_ms.or(self.ping_interval_ms),
            ping_timeout_ms: over.ping_timeout_ms.or(self.ping_timeout_ms),
            max_payload_bytes: over.max_payload_bytes.or(self.max_payload_bytes),
            database_url: over.database_url.or(self.database_url),
            log_format: over.log_format.or(self.log_format),
            claude_command: over.claude_command.or(self.claude_command),
            claude_max_concurrent: over.claude_max_concurrent.or(self.claude_max_concurrent),
            claude_max_per_user: over.claude_max_per_user.or(self.claude_max_per_user),
            claude_queue_timeout_ms: over
                .claude_queue_timeout_ms
                .or(self.claude_queue_timeout_ms),
            claude_timeout_ms: over.claude_timeout_ms.or(self.claude_timeout_ms),
            claude_idle_timeout_ms: over.claude_idle_timeout_ms.or(self.claude_idle_timeout_ms),
            claude_kill_grace_ms: over.claude_kill_grace_ms.or(self.claude_kill_grace_ms),
            claude_allowed_roots: over.claude_allowed_roots.or(self.claude_allowed_roots),
            claude_rate_limit: over.claude_rate_limit.or(self.claude_rate_limit),
            redis_url: over.redis_url.or(self.redis_url),
            redis_prefix: over.redis_prefix.or(self.redis_prefix),
            api_keys: over.api_keys.or(self.api_keys),
            ws_ping_interval_ms: over.ws_ping_interval_ms.or(self.ws_ping_interval_ms),
            ws_idle_timeout_ms: over.ws_idle_timeout_ms.or(self.ws_idle_timeout_ms),
            media_pending_subscribe_ms: over
                .media_pending_subscribe_ms
                .or(self.media_pending_subscribe_ms),
            llm_provider: over.llm_provider.or(self.llm_provider),
            llm_base_url: over.llm_base_url.or(self.llm_base_url),
            llm_api_key: over.llm_api_key.or(self.llm_api_key),
            llm_model: over.llm_model.or(self.llm_model),
            llm_max_retries: over.llm_max_retries.or(self.llm_max_retries),
            workflows_dir: over.workflows_dir.or(self.workflows_dir),
            agent_max_concurrent: over.agent_max_concurrent.or(self.agent_max_concurrent),
            agent_max_per_user: over.agent_max_per_user.or(self.agent_max_per_user),
            agent_step_timeout_ms: over.agent_step_timeout_ms.or(self.agent_step_timeout_ms),
            agent_roles: over.agent_roles.or(self.agent_roles),
            monitor_require_token: over.monitor_require_token.or(self.monitor_require_token),
            strudel_samples_dir: over.strudel_samples_dir.or(self.strudel_samples_dir),
            strudel_max_duration_s: over.strudel_max_duration_s.or(self.strudel_max_duration_s),
            strudel_max_sample_rate: over
                .strudel_max_sample_rate
                .or(self.strudel_max_sample_rate),
            strudel_max_events: over.strudel_max_events.or(self.strudel_max_events),
            strudel_max_concurrent: over.strudel_max_concurrent.or(self.strudel_max_concurrent),
            strudel_audio_retention_ms: over
                .strudel_audio_retention_ms
                .or(self.strudel_audio_retention_ms),
        }
    }
}

/// Every key a layer accepts, as written in the file.
const KEYS: &[&str] = &[
    "host",
    "port",
    "data_dir",
    "cors_origins",
    "shutdown_grace_ms",
    "public_url",
    "http_header_timeout_ms",
    "http_max_body_bytes",
    "max_connections_per_ip",
    "jwt_secret",
    "jwt_public_key",
    "ping_interval_ms",
    "ping_timeout_ms",
    "max_payload_bytes",
    "database_url",
    "log_format",
    "claude_command",
    "claude_max_concurrent",
    "claude_max_per_user",
    "claude_queue_timeout_ms",
    "claude_timeout_ms",
    "claude_idle_timeout_ms",
    "claude_kill_grace_ms",
    "claude_allowed_roots",
    "claude_rate_limit",
    "redis_url",
    "redis_prefix",
    "api_keys",
    "ws_ping_interval_ms",
    "ws_idle_timeout_ms",
    "media_pending_subscribe_ms",
    "llm_provider",
    "llm_base_url",
    "llm_api_key",
    "llm_model",
    "llm_max_retries",
    "workflows_dir",
    "agent_max_concurrent",
    "agent_max_per_user",
    "agent_step_timeout_ms",
    "monitor_require_token",
    "strudel_samples_dir",
    "strudel_max_duration_s",
    "strudel_max_sample_rate",
    "strudel_max_events",
    "strudel_max_concurrent",
    "strudel_audio_retention_ms",
];

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Layer;
    use crate::config::Config;
    use crate::config::tests::env;

    #[test]
    fn layers_override_in_order() {
        let file: Layer =
            toml::from_str("port = 4000\nhost = \"0.0.0.0\"\nping_timeout_ms = 5000").unwrap();
        let environment = env(&[
            ("SWITCHBOARD_PORT", "5000"),
            ("SWITCHBOARD_CORS_ORIGINS", "http://a.test, http://b.test"),
            ("UNRELATED", "x"),
            ("SWITCHBOARD_UNKNOWN_THING", "ignored"),
        ]);
        let flags = Layer {
            port: Some(6000),
            ..Layer::default()
        };
        let config = Config::from_layer(file.overlay(environment).overlay(flags)).unwrap();
        assert_eq!(config.server.port, 6000);
        assert_eq!(config.server.host.to_string(), "0.0.0.0");
        assert_eq!(config.socketio.ping_timeout, Duration::from_secs(5));
        assert_eq!(
            config.server.cors_origins,
            vec!["http://a.test".to_owned(), "http://b.test".to_owned()]
        );
    }

    #[test]
    fn env_errors_name_the_variable() {
        let error = Layer::from_env([("SWITCHBOARD_PORT".to_owned(), "abc".to_owned())])
            .unwrap_err()
            .to_string();
        assert!(error.contains("SWITCHBOARD_PORT"), "{error}");
    }

    #[test]
    fn file_errors_name_the_key() {
        let error = toml::from_str::<Layer>("prot = 1").unwrap_err().to_string();
        assert!(error.contains("prot"), "{error}");
    }
}
