//! The API's one error type: `{error:{code, message}}` with the HTTP status
//! of its code, and the JSON body decoding that produces it.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value as Json, json};
use switchboard_core::ErrorCode;
use switchboard_jobs::claude::LookupError;
use utoipa::ToSchema;

/// An API failure; the one place codes meet HTTP statuses.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
}

impl ApiError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status: status_of(code),
            code,
            message: message.into(),
        }
    }

    /// Fields of the wrong shape: 422.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::InvalidPayload, message)
    }

    /// A request that conflicts with the resource's state: 409.
    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::CONFLICT,
            ..ApiError::invalid(message)
        }
    }

    /// A body that is not JSON at all, or a bad query parameter: 400.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            ..ApiError::invalid(message)
        }
    }
}

/// The HTTP status of each code.
fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::ProcessNotFound | ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::InvalidPayload => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::RateLimited | ErrorCode::RateLimitExceeded => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ClaudeUnavailable | ErrorCode::LlmNotConfigured => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        ErrorCode::InvalidState => StatusCode::CONFLICT,
        ErrorCode::Internal
        | ErrorCode::LlmError
        | ErrorCode::ApprovalRejected
        | ErrorCode::ExecutionError
        | ErrorCode::Timeout
        | ErrorCode::Cancelled
        | ErrorCode::QueueTimeout
        | ErrorCode::StreamError
        | ErrorCode::Interrupted => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The body of every API error.
#[derive(ToSchema)]
#[allow(dead_code)] // only describes the JSON that `ApiError` writes
pub(crate) struct ErrorResponse {
    error: ErrorDetail,
}

/// `{code, message}` of an API error.
#[derive(ToSchema)]
#[allow(dead_code)] // only describes the JSON that `ApiError` writes
pub struct ErrorDetail {
    /// One of the codes in the product spec (e.g. `INVALID_PAYLOAD`).
    code: String,
    /// A human-readable reason.
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<LookupError> for ApiError {
    fn from(error: LookupError) -> Self {
        match error {
            LookupError::NotFound => ApiError::new(ErrorCode::ProcessNotFound, "Process not found"),
            LookupError::AccessDenied => ApiError::new(ErrorCode::Forbidden, "Access denied"),
            LookupError::Store(cause) => {
                tracing::error!(%cause, "process lookup failed");
                ApiError::new(ErrorCode::Internal, "Internal error")
            }
        }
    }
}

/// Parses a JSON body: 400 when it is not JSON, 422 when fields are wrong.
pub(crate) fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    let value: Json = serde_json::from_slice(bytes)
        .map_err(|error| ApiError::bad_request(format!("Invalid JSON: {error}")))?;
    serde_json::from_value(value).map_err(|error| ApiError::invalid(error.to_string()))
}

/// An unexpected failure: logged here, `INTERNAL` to the caller.
pub(crate) fn internal(cause: &impl std::fmt::Display) -> ApiError {
    tracing::error!(%cause, "request failed");
    ApiError::new(ErrorCode::Internal, "Internal error")
}
