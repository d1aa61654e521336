//! [`AgentError`]: why an agent request was refused, with its client code.

use switchboard_core::ErrorCode;
use switchboard_store::StoreError;

use crate::definition::DefinitionError;

/// Why a request to the agent runtime was refused.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// No LLM provider is configured.
    #[error("No LLM provider is configured (set SWITCHBOARD_LLM_PROVIDER)")]
    NotConfigured,
    /// No such workflow or execution (or not the caller's).
    #[error("{0}")]
    NotFound(&'static str),
    /// Someone else's resource.
    #[error("Access denied")]
    AccessDenied,
    /// The payload is out of bounds.
    #[error("{0}")]
    Invalid(String),
    /// The definition does not validate.
    #[error(transparent)]
    Definition(#[from] DefinitionError),
    /// The execution's state does not allow this.
    #[error("{0}")]
    InvalidState(String),
    /// The server is shutting down.
    #[error("The server is shutting down")]
    ShuttingDown,
    /// A stored record cannot be read.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AgentError {
    /// The code clients match on.
    pub fn code(&self) -> ErrorCode {
        match self {
            AgentError::NotConfigured => ErrorCode::LlmNotConfigured,
            AgentError::NotFound(_) => ErrorCode::NotFound,
            AgentError::AccessDenied => ErrorCode::Forbidden,
            AgentError::Invalid(_) | AgentError::Definition(_) => ErrorCode::InvalidPayload,
            AgentError::InvalidState(_) => ErrorCode::InvalidState,
            AgentError::ShuttingDown | AgentError::Corrupt(_) | AgentError::Store(_) => {
                ErrorCode::Internal
            }
        }
    }
}
