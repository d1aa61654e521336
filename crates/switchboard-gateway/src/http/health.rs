//! Operational HTTP routes: `/healthz`, `/readyz`, `/metrics`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::SharedState;

/// The process is up and serving HTTP.
pub(super) async fn healthz() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

/// The node can do its work: its store answers and it is not shutting down.
pub(super) async fn readyz(State(state): State<SharedState>) -> Response {
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

/// The node's metrics, in the OpenMetrics text format.
pub(super) async fn metrics(State(state): State<SharedState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
