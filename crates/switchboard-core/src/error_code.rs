//! The closed set of error codes that clients match on (SPEC §3, §4).

use serde::Serialize;

/// A machine-readable failure code, sent as `SCREAMING_SNAKE_CASE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The caller is not authenticated.
    Unauthorized,
    /// The caller is authenticated but may not do this.
    Forbidden,
    /// Too many requests; `retryAfter` says when to try again.
    RateLimited,
    /// The payload is missing, of the wrong type, or out of bounds.
    InvalidPayload,
    /// No process with that id.
    ProcessNotFound,
    /// No such resource or event.
    NotFound,
    /// Something failed inside the server; details are in its log.
    Internal,
    /// The Claude CLI is not installed or not configured on this node.
    ClaudeUnavailable,
    /// A Claude process failed: non-zero exit or an error result.
    ExecutionError,
    /// A process ran past its time limit or stopped producing output.
    Timeout,
    /// The owner cancelled the process.
    Cancelled,
    /// The process waited in the queue past the configured limit.
    QueueTimeout,
    /// The process's output stream could not be read or parsed.
    StreamError,
    /// The per-user execute rate limit was exceeded.
    RateLimitExceeded,
    /// The process was running when the server stopped.
    Interrupted,
    /// No LLM provider is configured for agent work.
    LlmNotConfigured,
    /// The LLM provider failed (HTTP error, stream error, malformed answer).
    LlmError,
    /// A human rejected an approval step.
    ApprovalRejected,
    /// The execution is not in a state that allows this (e.g. resume a running run).
    InvalidState,
}

impl ErrorCode {
    /// The code as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::InvalidPayload => "INVALID_PAYLOAD",
            ErrorCode::ProcessNotFound => "PROCESS_NOT_FOUND",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::ClaudeUnavailable => "CLAUDE_UNAVAILABLE",
            ErrorCode::ExecutionError => "EXECUTION_ERROR",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Cancelled => "CANCELLED",
            ErrorCode::QueueTimeout => "QUEUE_TIMEOUT",
            ErrorCode::StreamError => "STREAM_ERROR",
            ErrorCode::RateLimitExceeded => "RATE_LIMIT_EXCEEDED",
            ErrorCode::Interrupted => "INTERRUPTED",
            ErrorCode::LlmNotConfigured => "LLM_NOT_CONFIGURED",
            ErrorCode::LlmError => "LLM_ERROR",
            ErrorCode::ApprovalRejected => "APPROVAL_REJECTED",
            ErrorCode::InvalidState => "INVALID_STATE",
        }
    }

    /// Parses the wire spelling (as stored).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == text)
    }

    /// Every code.
    pub const ALL: [ErrorCode; 19] = [
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::RateLimited,
        ErrorCode::InvalidPayload,
        ErrorCode::ProcessNotFound,
        ErrorCode::NotFound,
        ErrorCode::Internal,
        ErrorCode::ClaudeUnavailable,
        ErrorCode::ExecutionError,
        ErrorCode::Timeout,
        ErrorCode::Cancelled,
        ErrorCode::QueueTimeout,
        ErrorCode::StreamError,
        ErrorCode::RateLimitExceeded,
        ErrorCode::Interrupted,
        ErrorCode::LlmNotConfigured,
        ErrorCode::LlmError,
        ErrorCode::ApprovalRejected,
        ErrorCode::InvalidState,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spelling_matches_serde() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().to_owned())
            );
        }
    }
}
