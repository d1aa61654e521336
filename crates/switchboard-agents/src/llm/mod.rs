//! LLM providers behind one small trait, chosen by configuration: the
//! Anthropic Messages API, any OpenAI-compatible chat-completions server,
//! and the Claude CLI. [`Llm`] adds the retry policy every provider shares.

mod anthropic;
mod claude_cli;
mod http;
mod openai;
mod retry;

pub use anthropic::Anthropic;
pub use claude_cli::ClaudeCli;
pub use openai::OpenAiCompatible;
pub use retry::Llm;

use std::future::Future;
use std::sync::Arc;

use std::pin::Pin;
use std::time::Duration;
use switchboard_core::config::{LlmConfig, LlmProviderKind};
use switchboard_jobs::claude::ClaudeRunner;

/// One prompt for a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmRequest {
    /// Instructions sent as the system prompt.
    pub system: Option<String>,
    /// The user message.
    pub prompt: String,
    /// Overrides the configured model.
    pub model: Option<String>,
    /// Output token cap; providers that need one use their default.
    pub max_tokens: Option<u32>,
    /// The user the work is for (the Claude CLI runs as them).
    pub user: Option<String>,
}

/// A finished answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    /// All text of the answer.
    pub text: String,
    /// The model that answered, as reported.
    pub model: Option<String>,
    /// Why generation stopped (`end_turn`, `stop`, `max_tokens`, ...).
    pub stop_reason: Option<String>,
    /// Prompt tokens, when reported.
    pub input_tokens: Option<u64>,
    /// Generated tokens, when reported.
    pub output_tokens: Option<u64>,
}

/// Why a provider call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// The provider answered with an error status before streaming.
    #[error("provider answered HTTP {status} ({kind}): {message}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The provider's error type (`rate_limit_error`, ...).
        kind: String,
        /// The provider's message.
        message: String,
        /// Whether trying again may succeed.
        retryable: bool,
        /// How long the provider asked us to wait.
        retry_after: Option<Duration>,
    },
    /// The stream reported an error after it started.
    #[error("provider stream failed ({kind}): {message}")]
    Stream {
        /// The provider's error type (`overloaded_error`, ...).
        kind: String,
        /// The provider's message.
        message: String,
    },
    /// The answer could not be understood (bad JSON, cut-off stream).
    #[error("malformed provider answer: {0}")]
    Malformed(String),
    /// The provider could not be reached.
    #[error("cannot reach the provider: {0}")]
    Transport(String),
    /// The Claude CLI run failed.
    #[error("claude CLI failed: {0}")]
    Cli(String),
}

impl LlmError {
    /// Whether the same request may succeed if sent again, and after how long.
    pub fn retry(&self) -> Option<Option<Duration>> {
        match self {
            LlmError::Http {
                retryable: true,
                retry_after,
                ..
            } => Some(*retry_after),
            LlmError::Transport(_) => Some(None),
            _ => None,
        }
    }
}

/// Receives each piece of text as it streams.
pub type OnDelta<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// The future a provider returns.
pub type Answer<'a> = Pin<Box<dyn Future<Output = Result<Completion, LlmError>> + Send + 'a>>;

/// A model behind some wire protocol. Dropping the returned future cancels
/// the call: the HTTP request is aborted, the CLI process stopped.
pub trait LlmProvider: Send + Sync + std::fmt::Debug {
    /// The provider's configuration name (`anthropic`, `openai`, `claude-cli`).
    fn name(&self) -> &'static str;

    /// Streams one answer, calling `on_delta` with each piece of text.
    fn stream<'a>(&'a self, request: &'a LlmRequest, on_delta: OnDelta<'a>) -> Answer<'a>;
}
/// The configured provider, or `None` when agents have no model.
pub fn from_config(
    config: Option<&LlmConfig>,
    claude: &ClaudeRunner,
) -> Result<Option<Llm>, LlmError> {
    let Some(config) = config else {
        return Ok(None);
    };
    let base_url = config.base_url.as_deref();
    let provider: Arc<dyn LlmProvider> = match config.provider {
        LlmProviderKind::Anthropic => Arc::new(Anthropic::new(
            base_url,
            config.api_key.clone(),
            config.model.clone(),
        )?),
        LlmProviderKind::OpenAi => Arc::new(OpenAiCompatible::new(
            base_url,
            config.api_key.clone(),
            config.model.clone(),
        )?),
        LlmProviderKind::ClaudeCli => {
            Arc::new(ClaudeCli::new(claude.clone(), config.model.clone()))
        }
    };
    tracing::info!(provider = provider.name(), "LLM provider configured");
    Ok(Some(Llm::new(provider, config.max_retries)))
}
