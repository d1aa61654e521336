//! Notifications over HTTP (SPEC §7): backends send them, users list them
//! and mark them read.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Router};
use serde::Deserialize;
use serde_json::json;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use switchboard_core::ErrorCode;

use super::delivery::{self, NewNotification};
use crate::http::{ApiError, ErrorResponse, backend, body, caller, internal};
use crate::state::SharedState;

/// The routes, nested under `/api/v1`.
pub fn routes<A: Adapter>() -> Router<SharedState> {
    Router::new()
        .route(
            "/notifications",
            post(create_notification::<A>).get(list_notifications),
        )
        .route("/notifications/{id}/read", post(read_notification))
}

/// The OpenAPI paths of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create_notification, list_notifications, read_notification))]
pub struct Doc;

#[utoipa::path(post, path = "/api/v1/notifications", tag = "notifications", request_body = NewNotification, security(("bearer" = [])),
    responses((status = 201, description = "Sent", body = Object), (status = 400, description = "Not JSON", body = ErrorResponse), (status = 422, description = "Invalid fields", body = ErrorResponse), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 403, description = "Not allowed", body = ErrorResponse)))]
/// `POST /api/v1/notifications {userId?, type (or level), title?, message, data?}`.
async fn create_notification<A: Adapter>(
    State(state): State<SharedState>,
    Extension(io): Extension<SocketIo<A>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    backend(&state, &headers)?;
    let new: NewNotification = body(&bytes)?;
    if let Some(problem) = new.problem() {
        return Err(ApiError::invalid(problem));
    }
    let id = delivery::send_notification(&io, &state.plain_clients, &state.store, &new)
        .await
        .map_err(|cause| internal(&cause))?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"success": true, "id": id})),
    )
        .into_response())
}

#[derive(Deserialize)]
struct NotificationQuery {
    unread: Option<String>,
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(("unread" = Option<bool>, Query, description = "Only unread ones"), ("limit" = Option<u32>, Query, description = "1..=200, default 50")), security(("bearer" = [])),
    responses((status = 200, description = "The caller's notifications", body = Object), (status = 400, description = "Bad query", body = ErrorResponse), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse)))]
/// `GET /api/v1/notifications?unread=true`: the caller's notifications, newest first.
async fn list_notifications(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Query(query): Query<NotificationQuery>,
) -> Result<Response, ApiError> {
    let identity = caller(&state, &headers)?;
    let unread = match query.unread.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::bad_request("unread must be true or false")),
    };
    let limit = match query.limit.as_deref() {
        None => 50,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|limit| (1..=200).contains(limit))
            .ok_or_else(|| ApiError::bad_request("limit must be an integer from 1 to 200"))?,
    };
    let notifications = state
        .store
        .list_notifications(&identity.user_id, unread, limit)
        .await
        .map_err(|cause| internal(&cause))?;
    let views: Vec<_> = notifications
        .iter()
        .map(delivery::notification_view)
        .collect();
    Ok(axum::Json(json!({"notifications": views})).into_response())
}

#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", params(("id" = String, Path, description = "Notification id")), security(("bearer" = [])),
    responses((status = 200, description = "Marked read", body = Object), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 404, description = "Not the caller's", body = ErrorResponse)))]
/// `POST /api/v1/notifications/{id}/read`.
async fn read_notification(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let identity = caller(&state, &headers)?;
    let notification = state
        .store
        .mark_notification_read(&identity.user_id, &id)
        .await
        .map_err(|cause| internal(&cause))?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "Notification not found"))?;
    Ok(axum::Json(
        json!({"success": true, "notification": delivery::notification_view(&notification)}),
    )
    .into_response())
}
