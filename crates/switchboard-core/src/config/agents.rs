//! The agents section: the LLM provider agents talk to, where workflows are
//! loaded from, execution limits and role prompts.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::layer::Layer;
use super::values::{
    ConfigError, MASK, Printed, millis, positive, print_count, print_ms, print_path,
};

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
    /// Whether `/api/ws` refuses anonymous subscribers (default false: an
    /// execution id is a capability, SPEC §8).
    pub monitor_require_token: bool,
}

impl AgentConfig {
    /// The section; the LLM settings only count once a provider is chosen.
    pub(super) fn from_layer(layer: &Layer) -> Result<Self, ConfigError> {
        let non_empty = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
        Ok(AgentConfig {
            llm: layer.llm_provider.map(|provider| LlmConfig {
                provider,
                base_url: non_empty(&layer.llm_base_url),
                api_key: non_empty(&layer.llm_api_key),
                model: non_empty(&layer.llm_model),
                max_retries: layer.llm_max_retries.unwrap_or(2),
            }),
            workflows_dir: layer
                .workflows_dir
                .clone()
                .filter(|dir| !dir.as_os_str().is_empty()),
            max_concurrent: positive("agent_max_concurrent", layer.agent_max_concurrent, 4)?,
            max_per_user: positive("agent_max_per_user", layer.agent_max_per_user, 2)?,
            step_timeout: millis(
                "agent_step_timeout_ms",
                layer.agent_step_timeout_ms,
                300_000,
            )?,
            roles: layer.agent_roles.clone().unwrap_or_default(),
            monitor_require_token: layer.monitor_require_token.unwrap_or(false),
        })
    }

    /// The API key prints masked; unset optional keys are left out.
    pub(super) fn print(&self, keys: &mut Printed) {
        if let Some(llm) = &self.llm {
            keys.insert(
                "llm_provider",
                toml::Value::String(llm.provider.as_str().into()),
            );
            if let Some(url) = &llm.base_url {
                keys.insert("llm_base_url", toml::Value::String(url.clone()));
            }
            if llm.api_key.is_some() {
                keys.insert("llm_api_key", toml::Value::String(MASK.into()));
            }
            if let Some(model) = &llm.model {
                keys.insert("llm_model", toml::Value::String(model.clone()));
            }
            keys.insert(
                "llm_max_retries",
                toml::Value::Integer(llm.max_retries.into()),
            );
        }
        if let Some(dir) = &self.workflows_dir {
            keys.insert("workflows_dir", print_path(dir));
        }
        keys.insert("agent_max_concurrent", print_count(self.max_concurrent));
        keys.insert("agent_max_per_user", print_count(self.max_per_user));
        keys.insert("agent_step_timeout_ms", print_ms(self.step_timeout));
        keys.insert(
            "monitor_require_token",
            toml::Value::Boolean(self.monitor_require_token),
        );
        keys.insert(
            "agent_roles",
            toml::Value::Table(
                self.roles
                    .iter()
                    .map(|(role, prompt)| (role.clone(), toml::Value::String(prompt.clone())))
                    .collect(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::LlmProviderKind;
    use crate::config::tests::env;
    use crate::config::{Config, Layer};

    #[test]
    fn agent_settings_from_the_environment_and_the_file() {
        let layer = env(&[
            ("SWITCHBOARD_LLM_PROVIDER", "openai"),
            ("SWITCHBOARD_LLM_BASE_URL", "http://localhost:11434/v1"),
            ("SWITCHBOARD_LLM_API_KEY", "sk-secret"),
            ("SWITCHBOARD_LLM_MODEL", "llama3.2"),
            ("SWITCHBOARD_AGENT_MAX_CONCURRENT", "3"),
            ("SWITCHBOARD_MONITOR_REQUIRE_TOKEN", "true"),
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
        assert!(config.agents.monitor_require_token);
        assert_eq!(config.agents.workflows_dir, Some(PathBuf::from("./flows")));
        assert_eq!(config.agents.roles["lawyer"], "You read contracts.");
        let printed = config.to_masked_toml();
        assert!(!printed.contains("sk-secret"), "{printed}");
        assert!(printed.contains("llm_provider = \"openai\""), "{printed}");
        assert!(
            printed.contains("monitor_require_token = true"),
            "{printed}"
        );
        let reparsed: Layer = toml::from_str(&printed).unwrap();
        assert_eq!(
            reparsed.agent_roles.unwrap()["lawyer"],
            "You read contracts."
        );

        let defaults = Config::from_layer(Layer::default()).unwrap();
        assert!(defaults.agents.llm.is_none());
        assert!(!defaults.agents.monitor_require_token);
        assert!(
            Layer::from_env([("SWITCHBOARD_LLM_PROVIDER".to_owned(), "gpt".to_owned())]).is_err()
        );
    }
}
