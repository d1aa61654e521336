//! Media items over HTTP (SPEC §7): a backend creates an item, then reports
//! its progress and its outcome, which reach the item's `/media` subscribers.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value as Json, json};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use switchboard_core::ErrorCode;
use switchboard_store::MediaUpdate;
use utoipa::ToSchema;

use super::{announce, pending};
use crate::http::{ApiError, ErrorResponse, backend, body, internal};
use crate::state::SharedState;

/// The routes, nested under `/api/v1`.
pub fn routes<A: Adapter>() -> Router<SharedState> {
    Router::new()
        .route("/media", post(create_media::<A>))
        .route("/media/{id}/progress", post(media_progress::<A>))
        .route("/media/{id}/complete", post(media_complete::<A>))
        .route("/media/{id}/error", post(media_error::<A>))
}

/// The OpenAPI paths of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create_media, media_progress, media_complete, media_error))]
pub struct Doc;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewMedia {
    /// An id the generator chooses (1..128 of `[A-Za-z0-9_.:-]`), so that it
    /// can hand it to its client before it reports anything; generated when
    /// absent.
    media_id: Option<String>,
    user_id: String,
    #[serde(rename = "type")]
    kind: String,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Map<String, Json>>,
}

#[utoipa::path(post, path = "/api/v1/media", tag = "media", request_body = NewMedia, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = Object), (status = 400, description = "Not JSON", body = ErrorResponse), (status = 422, description = "Invalid fields", body = ErrorResponse), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 403, description = "Not allowed", body = ErrorResponse), (status = 409, description = "The chosen mediaId is taken", body = ErrorResponse)))]
/// `POST /api/v1/media {mediaId?, userId, type, metadata?}` -> `{mediaId}`;
/// the item's pending subscribers who may see it join its room.
async fn create_media<A: Adapter>(
    State(state): State<SharedState>,
    Extension(io): Extension<SocketIo<A>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    backend(&state, &headers)?;
    let new: NewMedia = body(&bytes)?;
    if new.user_id.is_empty() || new.kind.is_empty() {
        return Err(ApiError::invalid("userId and type must not be empty"));
    }
    let metadata = new.metadata.map(|m| Json::Object(m).to_string());
    let id = match new.media_id {
        Some(id) => {
            if !pending::valid_id(&id) {
                return Err(ApiError::invalid(
                    "mediaId must be 1..128 characters of A-Z a-z 0-9 _ . : -",
                ));
            }
            let created = state
                .store
                .create_media(&id, &new.user_id, &new.kind, metadata.as_deref())
                .await
                .map_err(|cause| internal(&cause))?;
            if !created {
                return Err(ApiError::conflict(format!("Media {id} already exists")));
            }
            id
        }
        None => {
            let id = switchboard_core::process::random_id("media");
            state
                .store
                .insert_media(&id, &new.user_id, &new.kind, metadata.as_deref())
                .await
                .map_err(|cause| internal(&cause))?;
            id
        }
    };
    pending::created(&io, &id, &new.user_id).await;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"success": true, "mediaId": id})),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MediaProgress {
    progress: f64,
    stage: String,
    message: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MediaComplete {
    url: String,
    thumbnail_url: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Map<String, Json>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MediaFailed {
    error: String,
    code: Option<String>,
}

/// `POST /api/v1/media/{id}/progress {progress, stage, message?}`.
#[utoipa::path(post, path = "/api/v1/media/{id}/progress", tag = "media", request_body = MediaProgress,
    params(("id" = String, Path, description = "Media id")), security(("bearer" = [])),
    responses((status = 200, description = "Announced", body = Object), (status = 400, description = "Not JSON", body = ErrorResponse),
        (status = 422, description = "Invalid fields", body = ErrorResponse), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse),
        (status = 404, description = "Unknown media", body = ErrorResponse), (status = 409, description = "Already finished", body = ErrorResponse)))]
async fn media_progress<A: Adapter>(
    State(state): State<SharedState>,
    Extension(io): Extension<SocketIo<A>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    update_media(
        &state,
        &io,
        &headers,
        &id,
        &bytes,
        |progress: MediaProgress| {
            if !(0.0..=100.0).contains(&progress.progress) {
                return Err(ApiError::invalid("progress must be between 0 and 100"));
            }
            Ok(MediaUpdate::Progress {
                progress: progress.progress,
                stage: progress.stage,
                message: progress.message,
            })
        },
    )
    .await
}

/// `POST /api/v1/media/{id}/complete {url, thumbnailUrl?, metadata?}`.
#[utoipa::path(post, path = "/api/v1/media/{id}/complete", tag = "media", request_body = MediaComplete,
    params(("id" = String, Path, description = "Media id")), security(("bearer" = [])),
    responses((status = 200, description = "Announced", body = Object), (status = 400, description = "Not JSON", body = ErrorResponse),
        (status = 422, description = "Invalid fields", body = ErrorResponse), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse),
        (status = 404, description = "Unknown media", body = ErrorResponse), (status = 409, description = "Already finished", body = ErrorResponse)))]
async fn media_complete<A: Adapter>(
    State(state): State<SharedState>,
    Extension(io): Extension<SocketIo<A>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    update_media(
        &state,
        &io,
        &headers,
        &id,
        &bytes,
        |complete: MediaComplete| {
            if complete.url.is_empty() {
                return Err(ApiError::invalid("url must not be empty"));
            }
            Ok(MediaUpdate::Complete {
                url: complete.url,
                thumbnail_url: complete.thumbnail_url,
                metadata: complete.metadata.map(|m| Json::Object(m).to_string()),
            })
        },
    )
    .await
}

/// `POST /api/v1/media/{id}/error {error, code?}`.
#[utoipa::path(post, path = "/api/v1/media/{id}/error", tag = "media", request_body = MediaFailed,
    params(("id" = String, Path, description = "Media id")), security(("bearer" = [])),
    responses((status = 200, description = "Announced", body = Object), (status = 400, description = "Not JSON", body = ErrorResponse),
        (status = 422, description = "Invalid fields", body = ErrorResponse), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse),
        (status = 404, description = "Unknown media", body = ErrorResponse), (status = 409, description = "Already finished", body = ErrorResponse)))]
async fn media_error<A: Adapter>(
    State(state): State<SharedState>,
    Extension(io): Extension<SocketIo<A>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    update_media(&state, &io, &headers, &id, &bytes, |failed: MediaFailed| {
        Ok(MediaUpdate::Failed {
            error: failed.error,
            code: failed.code,
        })
    })
    .await
}

/// The body of the three media updates: checks the caller, decodes the
/// request into an update, applies it to the unfinished item, and tells the
/// item's subscribers.
async fn update_media<A: Adapter, B: DeserializeOwned>(
    state: &SharedState,
    io: &SocketIo<A>,
    headers: &HeaderMap,
    id: &str,
    bytes: &Bytes,
    to_update: impl FnOnce(B) -> Result<MediaUpdate, ApiError>,
) -> Result<Response, ApiError> {
    backend(state, headers)?;
    let update = to_update(body(bytes)?)?;
    let (changed, media) = state
        .store
        .update_media(id, &update)
        .await
        .map_err(|cause| internal(&cause))?;
    let media = media.ok_or_else(|| ApiError::new(ErrorCode::NotFound, "Media not found"))?;
    if !changed {
        return Err(ApiError::conflict(format!(
            "Media already finished ({})",
            media.status.as_str()
        )));
    }
    announce::announce_media(io, &media).await;
    Ok(
        axum::Json(json!({"success": true, "mediaId": id, "status": media.status.as_str()}))
            .into_response(),
    )
}
