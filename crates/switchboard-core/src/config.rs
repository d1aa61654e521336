//! The one typed configuration, built from layers: built-in defaults <
//! `switchboard.toml` (or `--config FILE`) < `SWITCHBOARD_*` environment <
//! command-line flags.
//!
//! Every key has one name across the file, the environment and the printed
//! configuration: the file key `ping_interval_ms` is `SWITCHBOARD_PING_INTERVAL_MS`.
//! Layers are read into [`Layer`] (all keys optional), merged, then validated
//! into per-subsystem structs with errors that name the offending key.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Prefix shared by every configuration environment variable.
pub const ENV_PREFIX: &str = "SWITCHBOARD_";

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

/// Strudel renders (SPEC §5).
#[derive(Debug, Clone)]
pub struct StrudelConfig {
    /// Folder of samples in the Dirt-Samples layout (`<dir>/<name>/*.wav`).
    pub samples_dir: Option<PathBuf>,
    /// Longest render in seconds (default 60).
    pub max_duration_s: f64,
    /// Highest sample rate (default 96000).
    pub max_sample_rate: u32,
    /// Most events one render may play (default 20000).
    pub max_events: usize,
    /// Renders at once on this node (default 2); the rest queue.
    pub max_concurrent: usize,
    /// How long rendered audio stays downloadable (default 1 h).
    pub audio_retention: Duration,
}

/// Which wire protocol reaches the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum LlmProviderKind {
    /// The Anthropic Messages API.
    #[serde(rename = "anthropic")]
    Anthropic,
    /// Any OpenAI-compatible chat-completions server (OpenAI, Ollama, vLLM, llama.cpp).
    #[serde(rename = "openai")]
    OpenAi,
    /// The Claude CLI, run like `claude:execute` runs it.
    #[serde(rename = "claude-cli")]
    ClaudeCli,
}

impl LlmProviderKind {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LlmProviderKind::Anthropic => "anthropic",
            LlmProviderKind::OpenAi => "openai",
            LlmProviderKind::ClaudeCli => "claude-cli",
        }
    }
}

/// The model agents talk to (SPEC §6).
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// The protocol.
    pub provider: LlmProviderKind,
    /// Base URL as the provider's official SDK takes it (`.../v1` for OpenAI-compatible servers).
    pub base_url: Option<String>,
    /// Sent as `x-api-key` (Anthropic) or `Authorization: Bearer` (OpenAI-compatible).
    pub api_key: Option<String>,
    /// The default model; steps may override it.
    pub model: Option<String>,
    /// Extra attempts after a 429, 5xx or 529 before any text streamed (default 2).
    pub max_retries: u32,
}

/// The agent runtime (SPEC §6).
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// `None` when no provider is configured: agent work answers `LLM_NOT_CONFIGURED`.
    pub llm: Option<LlmConfig>,
    /// Folder of workflow definitions (`*.yaml`, `*.yml`, `*.json`) loaded at start.
    pub workflows_dir: Option<PathBuf>,
    /// Executions running at once on this node (default 4); the rest queue.
    pub max_concurrent: usize,
    /// Executions running at once per user (default 2).
    pub max_per_user: usize,
    /// Default time limit of one step attempt (default 5 min).
    pub step_timeout: Duration,
    /// Role prompts added to or replacing the built-in ones (file only: `[agent_roles]`).
    pub roles: BTreeMap<String, String>,
}

/// Who may call the backend HTTP API.
#[derive(Debug, Clone, Default)]
pub struct ApiConfig {
    /// Accepted `Authorization: Bearer` keys; none means the publish API is closed
    /// (admin JWTs still work).
    pub keys: Vec<String>,
}

/// Heartbeat of the plain WebSocket endpoint (seed 003).
#[derive(Debug, Clone)]
pub struct PlainWsConfig {
    /// How often the server pings each client (default 30 s).
    pub ping_interval: Duration,
    /// Silence after which a client is closed (default 60 s).
    pub idle_timeout: Duration,
}

/// Claude CLI processes: command, limits, timeouts (SPEC §4).
#[derive(Debug, Clone)]
pub struct ClaudeConfig {
    /// The CLI to run, a name on `PATH` or a path (default `claude`).
    pub command: PathBuf,
    /// Processes running at once on this node (default 4).
    pub max_concurrent: usize,
    /// Processes running at once per user (default 2).
    pub max_per_user: usize,
    /// Longest wait in the queue (default 5 min).
    pub queue_timeout: Duration,
    /// Longest run, and the cap on a request's `timeoutMs` (default 10 min).
    pub timeout: Duration,
    /// Longest silence on stdout before the run is stopped (default 3 min).
    pub idle_timeout: Duration,
    /// Wait between the signals of a stop: SIGINT, SIGTERM, SIGKILL (default 5 s).
    pub kill_grace: Duration,
    /// Directories a `workingDirectory` must resolve into.
    pub allowed_roots: Vec<PathBuf>,
    /// Executes per user per 60 s window (default 10).
    pub rate_limit: u32,
}

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

/// Engine.IO heartbeat and payload limits.
#[derive(Debug, Clone)]
pub struct SocketIoConfig {
    /// Interval between server pings (default 25 s).
    pub ping_interval: Duration,
    /// How long a pong may take before the connection is dropped (default 20 s).
    pub ping_timeout: Duration,
    /// Largest accepted message in bytes (default 1 MiB).
    pub max_payload_bytes: u64,
}

/// Which database holds durable state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// Embedded SQLite database file.
    Sqlite(PathBuf),
}

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
    "llm_provider",
    "llm_base_url",
    "llm_api_key",
    "llm_model",
    "llm_max_retries",
    "workflows_dir",
    "agent_max_concurrent",
    "agent_max_per_user",
    "agent_step_timeout_ms",
    "strudel_samples_dir",
    "strudel_max_duration_s",
    "strudel_max_sample_rate",
    "strudel_max_events",
    "strudel_max_concurrent",
    "strudel_audio_retention_ms",
];

/// Name of the file read from the working directory when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "switchboard.toml";

/// Name of the generated HS256 secret inside the data directory.
pub const GENERATED_SECRET_FILE: &str = "jwt_secret";

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
        let host = match layer.host.as_deref() {
            None => IpAddr::from([127, 0, 0, 1]),
            Some("localhost") => IpAddr::from([127, 0, 0, 1]),
            Some(text) => text.parse().map_err(|_| ConfigError::Invalid {
                key: "host",
                message: format!("`{text}` is not an IP address"),
            })?,
        };
        let data_dir = layer.data_dir.unwrap_or_else(|| PathBuf::from("./data"));

        let key = match (layer.jwt_secret, layer.jwt_public_key) {
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

        let ping_interval = millis("ping_interval_ms", layer.ping_interval_ms, 25_000)?;
        let ping_timeout = millis("ping_timeout_ms", layer.ping_timeout_ms, 20_000)?;
        let max_payload_bytes = layer.max_payload_bytes.unwrap_or(1024 * 1024);
        if max_payload_bytes < 1024 {
            return Err(ConfigError::Invalid {
                key: "max_payload_bytes",
                message: "must be at least 1024".into(),
            });
        }

        let store = match layer.database_url.as_deref() {
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
        };

        let positive = |key: &'static str, value: Option<usize>, default: usize| match value {
            Some(0) => Err(ConfigError::Invalid {
                key,
                message: "must be at least 1".into(),
            }),
            value => Ok(value.unwrap_or(default)),
        };
        let allowed_roots = match layer.claude_allowed_roots {
            Some(StringList(roots)) if !roots.is_empty() => {
                roots.into_iter().map(PathBuf::from).collect()
            }
            _ => vec![data_dir.join("workspaces")],
        };
        let claude = ClaudeConfig {
            command: layer
                .claude_command
                .filter(|command| !command.as_os_str().is_empty())
                .unwrap_or_else(|| PathBuf::from("claude")),
            max_concurrent: positive("claude_max_concurrent", layer.claude_max_concurrent, 4)?,
            max_per_user: positive("claude_max_per_user", layer.claude_max_per_user, 2)?,
            queue_timeout: millis(
                "claude_queue_timeout_ms",
                layer.claude_queue_timeout_ms,
                300_000,
            )?,
            timeout: millis("claude_timeout_ms", layer.claude_timeout_ms, 600_000)?,
            idle_timeout: millis(
                "claude_idle_timeout_ms",
                layer.claude_idle_timeout_ms,
                180_000,
            )?,
            kill_grace: millis("claude_kill_grace_ms", layer.claude_kill_grace_ms, 5_000)?,
            allowed_roots,
            rate_limit: match layer.claude_rate_limit {
                Some(0) => {
                    return Err(ConfigError::Invalid {
                        key: "claude_rate_limit",
                        message: "must be at least 1".into(),
                    });
                }
                limit => limit.unwrap_or(10),
            },
        };
        let redis_url = layer.redis_url.filter(|url| !url.is_empty());
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(ConfigError::Invalid {
                key: "redis_url",
                message: "expected redis://HOST:PORT".into(),
            });
        }

        let api = ApiConfig {
            keys: layer.api_keys.unwrap_or_default().0,
        };
        let plain_ws = PlainWsConfig {
            ping_interval: millis("ws_ping_interval_ms", layer.ws_ping_interval_ms, 30_000)?,
            idle_timeout: millis("ws_idle_timeout_ms", layer.ws_idle_timeout_ms, 60_000)?,
        };

        let non_empty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        let agents = AgentConfig {
            llm: layer.llm_provider.map(|provider| LlmConfig {
                provider,
                base_url: non_empty(layer.llm_base_url),
                api_key: non_empty(layer.llm_api_key),
                model: non_empty(layer.llm_model),
                max_retries: layer.llm_max_retries.unwrap_or(2),
            }),
            workflows_dir: layer
                .workflows_dir
                .filter(|dir| !dir.as_os_str().is_empty()),
            max_concurrent: positive("agent_max_concurrent", layer.agent_max_concurrent, 4)?,
            max_per_user: positive("agent_max_per_user", layer.agent_max_per_user, 2)?,
            step_timeout: millis(
                "agent_step_timeout_ms",
                layer.agent_step_timeout_ms,
                300_000,
            )?,
            roles: layer.agent_roles.unwrap_or_default(),
        };

        let max_duration_s = layer.strudel_max_duration_s.unwrap_or(60.0);
        if !(max_duration_s.is_finite() && max_duration_s > 0.0) {
            return Err(ConfigError::Invalid {
                key: "strudel_max_duration_s",
                message: "must be a positive number of seconds".into(),
            });
        }
        let max_sample_rate = layer.strudel_max_sample_rate.unwrap_or(96_000);
        if !(8_000..=192_000).contains(&max_sample_rate) {
            return Err(ConfigError::Invalid {
                key: "strudel_max_sample_rate",
                message: "must be 8000..=192000".into(),
            });
        }
        let strudel = StrudelConfig {
            samples_dir: layer
                .strudel_samples_dir
                .filter(|dir| !dir.as_os_str().is_empty()),
            max_duration_s,
            max_sample_rate,
            max_events: positive("strudel_max_events", layer.strudel_max_events, 20_000)?,
            max_concurrent: positive("strudel_max_concurrent", layer.strudel_max_concurrent, 2)?,
            audio_retention: millis(
                "strudel_audio_retention_ms",
                layer.strudel_audio_retention_ms,
                3_600_000,
            )?,
        };

        Ok(Config {
            api,
            plain_ws,
            agents,
            strudel,
            claude,
            cluster: ClusterConfig {
                redis_url,
                redis_prefix: layer
                    .redis_prefix
                    .filter(|prefix| !prefix.is_empty())
                    .unwrap_or_else(|| "switchboard".into()),
            },
            server: ServerConfig {
                host,
                port: layer.port.unwrap_or(3000),
                data_dir,
                cors_origins: layer.cors_origins.unwrap_or_default().0,
                shutdown_grace: millis("shutdown_grace_ms", layer.shutdown_grace_ms, 10_000)?,
            },
            auth: AuthConfig { key },
            socketio: SocketIoConfig {
                ping_interval,
                ping_timeout,
                max_payload_bytes,
            },
            store,
            log: LogConfig {
                format: layer.log_format.unwrap_or(LogFormat::Text),
            },
        })
    }

    /// The effective configuration as `key = value` TOML, secrets masked.
    pub fn to_masked_toml(&self) -> String {
        let mut keys: BTreeMap<&str, toml::Value> = BTreeMap::new();
        let path = |p: &Path| toml::Value::String(p.display().to_string());
        let ms =
            |d: Duration| toml::Value::Integer(i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        keys.insert("host", toml::Value::String(self.server.host.to_string()));
        keys.insert("port", toml::Value::Integer(self.server.port.into()));
        keys.insert("data_dir", path(&self.server.data_dir));
        keys.insert(
            "cors_origins",
            toml::Value::Array(
                self.server
                    .cors_origins
                    .iter()
                    .cloned()
                    .map(toml::Value::String)
                    .collect(),
            ),
        );
        keys.insert("shutdown_grace_ms", ms(self.server.shutdown_grace));
        match &self.auth.key {
            KeySource::Secret(_) => {
                keys.insert("jwt_secret", toml::Value::String("********".into()));
            }
            KeySource::PublicKeyPem(pem) => {
                keys.insert("jwt_public_key", path(pem));
            }
            KeySource::GeneratedSecret(file) => {
                keys.insert(
                    "jwt_secret",
                    toml::Value::String(format!("******** (generated in {})", file.display())),
                );
            }
        }
        keys.insert("ping_interval_ms", ms(self.socketio.ping_interval));
        keys.insert("ping_timeout_ms", ms(self.socketio.ping_timeout));
        keys.insert(
            "max_payload_bytes",
            toml::Value::Integer(
                i64::try_from(self.socketio.max_payload_bytes).unwrap_or(i64::MAX),
            ),
        );
        let StoreConfig::Sqlite(db) = &self.store;
        keys.insert(
            "database_url",
            toml::Value::String(format!("sqlite://{}", db.display())),
        );
        let format = match self.log.format {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        };
        keys.insert("log_format", toml::Value::String(format.into()));
        let claude = &self.claude;
        let count = |n: usize| toml::Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        keys.insert("claude_command", path(&claude.command));
        keys.insert("claude_max_concurrent", count(claude.max_concurrent));
        keys.insert("claude_max_per_user", count(claude.max_per_user));
        keys.insert("claude_queue_timeout_ms", ms(claude.queue_timeout));
        keys.insert("claude_timeout_ms", ms(claude.timeout));
        keys.insert("claude_idle_timeout_ms", ms(claude.idle_timeout));
        keys.insert("claude_kill_grace_ms", ms(claude.kill_grace));
        keys.insert(
            "claude_allowed_roots",
            toml::Value::Array(claude.allowed_roots.iter().map(|root| path(root)).collect()),
        );
        keys.insert(
            "claude_rate_limit",
            toml::Value::Integer(claude.rate_limit.into()),
        );
        keys.insert(
            "api_keys",
            toml::Value::Array(
                self.api
                    .keys
                    .iter()
                    .map(|_| toml::Value::String("********".into()))
                    .collect(),
            ),
        );
        keys.insert("ws_ping_interval_ms", ms(self.plain_ws.ping_interval));
        keys.insert("ws_idle_timeout_ms", ms(self.plain_ws.idle_timeout));
        keys.insert(
            "redis_prefix",
            toml::Value::String(self.cluster.redis_prefix.clone()),
        );
        if let Some(url) = &self.cluster.redis_url {
            keys.insert("redis_url", toml::Value::String(mask_password(url)));
        }
        let agents = &self.agents;
        if let Some(llm) = &agents.llm {
            keys.insert(
                "llm_provider",
                toml::Value::String(llm.provider.as_str().into()),
            );
            if let Some(url) = &llm.base_url {
                keys.insert("llm_base_url", toml::Value::String(url.clone()));
            }
            if llm.api_key.is_some() {
                keys.insert("llm_api_key", toml::Value::String("********".into()));
            }
            if let Some(model) = &llm.model {
                keys.insert("llm_model", toml::Value::String(model.clone()));
            }
            keys.insert(
                "llm_max_retries",
                toml::Value::Integer(llm.max_retries.into()),
            );
        }
        if let Some(dir) = &agents.workflows_dir {
            keys.insert("workflows_dir", path(dir));
        }
        let strudel = &self.strudel;
        if let Some(dir) = &strudel.samples_dir {
            keys.insert("strudel_samples_dir", path(dir));
        }
        keys.insert(
            "strudel_max_duration_s",
            toml::Value::Float(strudel.max_duration_s),
        );
        keys.insert(
            "strudel_max_sample_rate",
            toml::Value::Integer(strudel.max_sample_rate.into()),
        );
        keys.insert("strudel_max_events", count(strudel.max_events));
        keys.insert("strudel_max_concurrent", count(strudel.max_concurrent));
        keys.insert("strudel_audio_retention_ms", ms(strudel.audio_retention));
        keys.insert("agent_max_concurrent", count(agents.max_concurrent));
        keys.insert("agent_max_per_user", count(agents.max_per_user));
        keys.insert("agent_step_timeout_ms", ms(agents.step_timeout));
        keys.insert(
            "agent_roles",
            toml::Value::Table(
                agents
                    .roles
                    .iter()
                    .map(|(role, prompt)| (role.clone(), toml::Value::String(prompt.clone())))
                    .collect(),
            ),
        );
        toml::to_string(&keys).unwrap_or_default()
    }
}

/// `scheme://user:secret@host` becomes `scheme://user:********@host`.
fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split_once(':').map_or("", |(user, _)| user);
            format!("{scheme}://{user}:********@{host}")
        }
        None => url.to_owned(),
    }
}

fn millis(key: &'static str, value: Option<u64>, default: u64) -> Result<Duration, ConfigError> {
    match value.unwrap_or(default) {
        0 => Err(ConfigError::Invalid {
            key,
            message: "must be greater than 0".into(),
        }),
        ms => Ok(Duration::from_millis(ms)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Layer {
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

    #[test]
    fn claude_settings_from_the_environment() {
        let layer = env(&[
            ("SWITCHBOARD_CLAUDE_COMMAND", "/opt/fake-claude"),
            ("SWITCHBOARD_CLAUDE_MAX_CONCURRENT", "3"),
            ("SWITCHBOARD_CLAUDE_ALLOWED_ROOTS", "/srv/a,/srv/b"),
            ("SWITCHBOARD_REDIS_URL", "redis://:pw@127.0.0.1:6379"),
        ]);
        let config = Config::from_layer(layer).unwrap();
        assert_eq!(config.claude.command, PathBuf::from("/opt/fake-claude"));
        assert_eq!(config.claude.max_concurrent, 3);
        assert_eq!(config.claude.max_per_user, 2);
        assert_eq!(config.claude.timeout, Duration::from_secs(600));
        assert_eq!(config.claude.allowed_roots.len(), 2);
        assert!(!config.to_masked_toml().contains("pw@"));
        let default_roots = Config::from_layer(Layer::default())
            .unwrap()
            .claude
            .allowed_roots;
        assert_eq!(default_roots, vec![PathBuf::from("./data/workspaces")]);
    }

    #[test]
    fn agent_settings_from_the_environment_and_the_file() {
        let layer = env(&[
            ("SWITCHBOARD_LLM_PROVIDER", "openai"),
            ("SWITCHBOARD_LLM_BASE_URL", "http://localhost:11434/v1"),
            ("SWITCHBOARD_LLM_API_KEY", "sk-secret"),
            ("SWITCHBOARD_LLM_MODEL", "llama3.2"),
            ("SWITCHBOARD_AGENT_MAX_CONCURRENT", "3"),
        ]);
        let file: Layer = toml::from_str(
            "workflows_dir = \"./flows\"\n[agent_roles]\nlawyer = \"You read contracts.\"\n",
        )
        .unwrap();
        let config = Config::from_layer(file.overlay(layer)).unwrap();
        let llm = config.agents.llm.as_ref().unwrap();
        assert_eq!(llm.provider, LlmProviderKind::OpenAi);
        assert_eq!(llm.base_url.as_deref(), Some("http://localhost:11434/v1"));
        assert_eq!(llm.model.as_deref(), Some("llama3.2"));
        assert_eq!(llm.max_retries, 2);
        assert_eq!(config.agents.max_concurrent, 3);
        assert_eq!(config.agents.workflows_dir, Some(PathBuf::from("./flows")));
        assert_eq!(config.agents.roles["lawyer"], "You read contracts.");
        let printed = config.to_masked_toml();
        assert!(!printed.contains("sk-secret"), "{printed}");
        assert!(printed.contains("llm_provider = \"openai\""), "{printed}");
        let reparsed: Layer = toml::from_str(&printed).unwrap();
        assert_eq!(
            reparsed.agent_roles.unwrap()["lawyer"],
            "You read contracts."
        );

        assert!(
            Config::from_layer(Layer::default())
                .unwrap()
                .agents
                .llm
                .is_none()
        );
        assert!(
            Layer::from_env([("SWITCHBOARD_LLM_PROVIDER".to_owned(), "gpt".to_owned())]).is_err()
        );
    }
}
