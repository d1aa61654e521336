//! `GET /api/v1/stats`: what this node serves right now, for operators.

use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;

use super::auth::backend;
use super::error::{ApiError, ErrorResponse};
use crate::publish::hub;
use crate::socketio::{NAMESPACES, is_authenticated};
use crate::state::SharedState;

#[utoipa::path(get, path = "/api/v1/stats", tag = "operations", security(("bearer" = [])),
    responses((status = 200, description = "Counts of this node", body = Object), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 403, description = "Not allowed", body = ErrorResponse)))]
/// `GET /api/v1/stats`: connections, rooms and processes of this node.
pub(super) async fn stats<A: Adapter>(
    State(state): State<SharedState>,
    Extension(io): Extension<SocketIo<A>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    backend(&state, &headers)?;
    let mut namespaces = serde_json::Map::new();
    let (mut total, mut authenticated, mut rooms) = (0usize, 0usize, 0usize);
    for path in NAMESPACES {
        let Some(namespace) = io.of(path) else {
            continue;
        };
        let sockets = namespace.clone().sockets();
        let signed_in = sockets
            .iter()
            .filter(|socket| is_authenticated(socket))
            .count();
        total += sockets.len();
        authenticated += signed_in;
        rooms += namespace.rooms().await.map(|r| r.len()).unwrap_or(0);
        namespaces.insert(
            path.to_owned(),
            json!({"connections": sockets.len(), "authenticated": signed_in}),
        );
    }
    let (plain, plain_authenticated) = state.plain_clients.counts();
    namespaces.insert(
        hub::PLAIN_WS.to_owned(),
        json!({"connections": plain, "authenticated": plain_authenticated}),
    );
    let (running, queued) = state.claude.counts();
    Ok(axum::Json(json!({
        "connections": {
            "total": total + plain,
            "authenticated": authenticated + plain_authenticated,
            "namespaces": namespaces,
        },
        "rooms": rooms,
        "processes": {"running": running, "queued": queued},
    }))
    .into_response())
}
