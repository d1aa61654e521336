//! The HTTP layer every capability shares: the route table, the API error
//! type, who calls an API route, the OpenAPI assembly, and the operational
//! routes (health, readiness, metrics, stats).

mod auth;
mod credentials;
mod error;
mod health;
mod limits;
mod metrics;
mod openapi;
mod stats;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Extension, Router};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use switchboard_core::ErrorCode;

pub(crate) use self::auth::{backend, caller, principal};
pub(crate) use self::credentials::bearer;
pub(crate) use self::error::{ApiError, ErrorResponse, body, internal};
pub use self::metrics::Metrics;
use crate::state::SharedState;

/// Every HTTP route of a node, one line per capability. API handlers that
/// reach Socket.IO clients find `io` (of adapter `A`) in an `Extension`.
/// API bodies larger than `max_body` bytes are refused with 413.
pub fn routes<A: Adapter>(io: SocketIo<A>, max_body: usize) -> Router<SharedState> {
    let api = Router::new()
        .route("/stats", get(stats::stats::<A>))
        .route("/openapi.json", get(openapi::openapi))
        .merge(crate::claude::routes())
        .merge(crate::publish::routes::<A>())
        .merge(crate::notifications::routes::<A>())
        .merge(crate::media::routes::<A>())
        .merge(crate::agents::routes())
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "No such API route") })
        .layer(Extension(io))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(move |request, next| {
            limits::limit_body(max_body, request, next)
        }));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/ws", get(crate::plain_ws::upgrade))
        .route("/api/ws", get(crate::agents::monitor_upgrade))
        .route("/audio/{name}", get(crate::strudel::audio))
        .nest("/api/v1", api)
}
