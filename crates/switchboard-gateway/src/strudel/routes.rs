//! `GET /audio/{name}`: the rendered audio and its waveform, served while
//! the renderer retains them.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::SharedState;

/// `GET /audio/{name}`: a rendered WAV or its waveform PNG, while retained.
pub async fn audio(
    State(state): State<SharedState>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    let Some(path) = state.strudel.audio_file(&name) else {
        let body = json!({"error": {"code": "NOT_FOUND", "message": "No such audio (it may have expired)"}});
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    };
    let content_type = if name.ends_with(".png") {
        "image/png"
    } else {
        "audio/wav"
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            bytes,
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "cannot read rendered audio");
            let body = json!({"error": {"code": "NOT_FOUND", "message": "No such audio (it may have expired)"}});
            (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
        }
    }
}
