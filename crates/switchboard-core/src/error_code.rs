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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spelling_matches_serde() {
        for code in [
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::RateLimited,
            ErrorCode::InvalidPayload,
            ErrorCode::ProcessNotFound,
            ErrorCode::NotFound,
            ErrorCode::Internal,
            ErrorCode::ClaudeUnavailable,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().to_owned())
            );
        }
    }
}
