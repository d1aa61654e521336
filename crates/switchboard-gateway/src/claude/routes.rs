//! The stored Claude processes over HTTP (SPEC §4): `GET /api/v1/processes`
//! and `GET /api/v1/processes/{id}`, for their owner.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use switchboard_core::ErrorCode;

use super::wire;
use crate::http::{ApiError, ErrorResponse, caller};
use crate::state::SharedState;

/// The routes, nested under `/api/v1`.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/processes", get(list_processes))
        .route("/processes/{id}", get(get_process))
}

/// The OpenAPI paths of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(get_process, list_processes))]
pub struct Doc;

#[utoipa::path(get, path = "/api/v1/processes/{id}", tag = "processes", params(("id" = String, Path, description = "Process id")), security(("bearer" = [])),
    responses((status = 200, description = "The stored process", body = Object), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 403, description = "Not allowed", body = ErrorResponse), (status = 404, description = "Unknown process", body = ErrorResponse)))]
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

#[utoipa::path(get, path = "/api/v1/processes", tag = "processes", params(("limit" = Option<u32>, Query, description = "1..=100, default 20")), security(("bearer" = [])),
    responses((status = 200, description = "The caller's newest processes", body = Object), (status = 400, description = "Bad limit", body = ErrorResponse), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse)))]
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
            .ok_or_else(|| ApiError::bad_request("limit must be an integer from 1 to 100"))?,
    };
    let records = state.claude.list(&identity, limit).await.map_err(|cause| {
        tracing::error!(%cause, "listing processes failed");
        ApiError::new(ErrorCode::Internal, "Internal error")
    })?;
    let views: Vec<_> = records.iter().map(wire::ProcessView::new).collect();
    Ok(axum::Json(json!({"processes": views})).into_response())
}
