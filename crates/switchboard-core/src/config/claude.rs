//! The Claude section: the CLI to run, concurrency and rate limits,
//! timeouts, and where working directories may point.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::layer::Layer;
use super::values::{
    ConfigError, Printed, StringList, millis, positive, print_count, print_ms, print_path,
};

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

impl ClaudeConfig {
    /// The section; without allowed roots, runs are confined to `data_dir/workspaces`.
    pub(super) fn from_layer(layer: &Layer, data_dir: &Path) -> Result<Self, ConfigError> {
        let allowed_roots = match layer.claude_allowed_roots.clone() {
            Some(StringList(roots)) if !roots.is_empty() => {
                roots.into_iter().map(PathBuf::from).collect()
            }
            _ => vec![data_dir.join("workspaces")],
        };
        Ok(ClaudeConfig {
            command: layer
                .claude_command
                .clone()
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
        })
    }

    pub(super) fn print(&self, keys: &mut Printed) {
        keys.insert("claude_command", print_path(&self.command));
        keys.insert("claude_max_concurrent", print_count(self.max_concurrent));
        keys.insert("claude_max_per_user", print_count(self.max_per_user));
        keys.insert("claude_queue_timeout_ms", print_ms(self.queue_timeout));
        keys.insert("claude_timeout_ms", print_ms(self.timeout));
        keys.insert("claude_idle_timeout_ms", print_ms(self.idle_timeout));
        keys.insert("claude_kill_grace_ms", print_ms(self.kill_grace));
        keys.insert(
            "claude_allowed_roots",
            toml::Value::Array(
                self.allowed_roots
                    .iter()
                    .map(|root| print_path(root))
                    .collect(),
            ),
        );
        keys.insert(
            "claude_rate_limit",
            toml::Value::Integer(self.rate_limit.into()),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use crate::config::tests::env;
    use crate::config::{Config, Layer};

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
}
