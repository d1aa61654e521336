//! Operational HTTP routes: `/healthz`, `/readyz`, `/metrics`.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::state::SharedState;

/// The operational routes.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up and serving HTTP.
async fn healthz() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

/// The node can do its work: its store answers and it is not shutting down.
async fn readyz(State(state): State<SharedState>) -> Response {
    let store = match state.store.ping().await {
        Ok(()) => "ok",
        Err(error) => {
            tracing::warn!(%error, "readiness: store unreachable");
            "unreachable"
        }
    };
    let ready = store == "ok" && !state.is_draining();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "draining": state.is_draining(),
        "checks": {"store": store},
    });
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(state): State<SharedState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

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
