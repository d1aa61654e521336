//! The HTTP API under `/api/v1` for users and backends: JSON in and out,
//! errors as `{error:{code, message}}` with a matching status.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use switchboard_core::{ErrorCode, Identity};
use switchboard_jobs::claude::LookupError;

use crate::state::SharedState;
use crate::wire;

/// The API routes.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/processes", get(list_processes))
        .route("/processes/{id}", get(get_process))
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "No such API route") })
}

/// An API failure; the one place codes meet HTTP statuses.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
}

impl ApiError {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    fn status(&self) -> StatusCode {
        match self.code {
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::ProcessNotFound | ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::InvalidPayload => StatusCode::BAD_REQUEST,
            ErrorCode::RateLimited | ErrorCode::RateLimitExceeded => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status(), axum::Json(body)).into_response()
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

/// The caller of a user route: a valid `Authorization: Bearer` JWT.
fn caller(state: &SharedState, headers: &HeaderMap) -> Result<Identity, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthorized,
                "Authorization: Bearer token required",
            )
        })?;
    state.verifier.verify(token).map_err(|error| {
        state.metrics.auth_failed(error.code());
        ApiError::new(ErrorCode::Unauthorized, "Invalid or expired token")
    })
}

/// `GET /api/v1/processes/{id}`: the stored process, for its owner.
async fn get_process(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let identity = caller(&state, &headers)?;
    let record = state.claude.record(&identity, &id).await?;
    Ok(axum::Json(wire::ProcessView::new(&record)).into_response())
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<String>,
}

/// `GET /api/v1/processes?limit=N`: the caller's newest processes (1..=100, default 20).
async fn list_processes(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let identity = caller(&state, &headers)?;
    let limit = match query.limit.as_deref() {
        None => 20,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|limit| (1..=100).contains(limit))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidPayload,
                    "limit must be an integer from 1 to 100",
                )
            })?,
    };
    let records = state.claude.list(&identity, limit).await.map_err(|cause| {
        tracing::error!(%cause, "listing processes failed");
        ApiError::new(ErrorCode::Internal, "Internal error")
    })?;
    let views: Vec<_> = records.iter().map(wire::ProcessView::new).collect();
    Ok(axum::Json(json!({"processes": views})).into_response())
}
