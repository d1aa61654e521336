//! What backends push to users over HTTP (SPEC §7, seed 003):
//! `POST /api/v1/publish` to any namespace, room or user, and seed 003's
//! `agent-status` and `chat-messages` for `/ws` clients.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Router};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use utoipa::ToSchema;

use super::hub::{self, Publish};
use crate::http::{ApiError, ErrorResponse, backend, body};
use crate::plain_ws::Recipients;
use crate::state::SharedState;
use crate::wire;

/// The routes, nested under `/api/v1`.
pub fn routes<A: Adapter>() -> Router<SharedState> {
    Router::new()
        .route("/publish", post(publish::<A>))
        .route("/agent-status", post(agent_status))
        .route("/chat-messages", post(chat_message))
}

/// The OpenAPI paths of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(publish, agent_status, chat_message))]
pub struct Doc;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PublishBody {
    namespace: String,
    room: Option<String>,
    user_id: Option<String>,
    event: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    data: Json,
}

#[utoipa::path(post, path = "/api/v1/publish", tag = "publish", request_body = PublishBody, security(("bearer" = [])),
    responses((status = 200, description = "Published", body = Object), (status = 400, description = "Not JSON", body = ErrorResponse), (status = 422, description = "Invalid fields", body = ErrorResponse), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 403, description = "Not allowed", body = ErrorResponse)))]
/// `POST /api/v1/publish {namespace, room? | userId?, event, data}`.
async fn publish<A: Adapter>(
    State(state): State<SharedState>,
    Extension(io): Extension<SocketIo<A>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    backend(&state, &headers)?;
    let request: PublishBody = body(&bytes)?;
    let publish = Publish::new(
        request.namespace,
        request.room,
        request.user_id,
        request.event,
        request.data,
    )
    .map_err(|error| ApiError::invalid(error.to_string()))?;
    let plain = hub::publish(&io, &state.plain_clients, &publish).await;
    Ok(axum::Json(json!({"success": true, "plainClients": plain})).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AgentStatus {
    agent_name: String,
    state: AgentState,
    current_task: Option<String>,
    progress: Option<f64>,
}

#[derive(Deserialize, serde::Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum AgentState {
    Idle,
    Working,
    Stopped,
}

#[utoipa::path(post, path = "/api/v1/agent-status", tag = "publish", request_body = AgentStatus, security(("bearer" = [])),
    responses((status = 200, description = "Delivered", body = Object), (status = 400, description = "Not JSON", body = ErrorResponse), (status = 422, description = "Invalid fields", body = ErrorResponse), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 403, description = "Not allowed", body = ErrorResponse)))]
/// `POST /api/v1/agent-status`: seed 003's `agent_status` to authenticated `/ws` clients.
async fn agent_status(
    State(state): State<SharedState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    backend(&state, &headers)?;
    let status: AgentStatus = body(&bytes)?;
    if status.agent_name.is_empty() {
        return Err(ApiError::invalid("agentName must not be empty"));
    }
    if status.progress.is_some_and(|p| !(0.0..=100.0).contains(&p)) {
        return Err(ApiError::invalid("progress must be between 0 and 100"));
    }
    let mut data = json!({"agentName": status.agent_name, "state": status.state});
    if let Some(task) = status.current_task {
        data["currentTask"] = json!(task);
    }
    if let Some(progress) = status.progress {
        data["progress"] = json!(progress);
    }
    let delivered = deliver_plain(&state, "agent_status", &data);
    Ok(axum::Json(json!({"success": true, "plainClients": delivered})).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ChatMessage {
    conversation_id: String,
    message_id: String,
    content: String,
    sender: String,
    timestamp: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/chat-messages", tag = "publish", request_body = ChatMessage, security(("bearer" = [])),
    responses((status = 200, description = "Delivered", body = Object), (status = 400, description = "Not JSON", body = ErrorResponse), (status = 422, description = "Invalid fields", body = ErrorResponse), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 403, description = "Not allowed", body = ErrorResponse)))]
/// `POST /api/v1/chat-messages`: seed 003's `chat_message` to authenticated `/ws` clients.
async fn chat_message(
    State(state): State<SharedState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    backend(&state, &headers)?;
    let message: ChatMessage = body(&bytes)?;
    for (name, value) in [
        ("conversationId", &message.conversation_id),
        ("messageId", &message.message_id),
        ("sender", &message.sender),
    ] {
        if value.is_empty() {
            return Err(ApiError::invalid(format!("{name} must not be empty")));
        }
    }
    let timestamp = message
        .timestamp
        .unwrap_or_else(|| wire::iso(chrono::Utc::now()));
    let data = json!({
        "conversationId": message.conversation_id,
        "messageId": message.message_id,
        "content": message.content,
        "sender": message.sender,
        "timestamp": timestamp,
    });
    let delivered = deliver_plain(&state, "chat_message", &data);
    Ok(axum::Json(json!({"success": true, "plainClients": delivered})).into_response())
}

fn deliver_plain(state: &SharedState, kind: &str, data: &Json) -> usize {
    let text = crate::plain_ws::encode_json(kind, data);
    state
        .plain_clients
        .deliver(&Recipients::Authenticated, &text)
}
