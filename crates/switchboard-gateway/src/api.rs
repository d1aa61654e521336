//! The HTTP API under `/api/v1` for users and backends: JSON in and out,
//! errors as `{error:{code, message}}` with a matching status.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value as Json, json};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use switchboard_core::{ErrorCode, Identity};
use switchboard_jobs::claude::LookupError;
use utoipa::ToSchema;

use crate::agent_api;
use crate::credentials::bearer;
use crate::hub::{self, Publish};
use crate::notify::{self, NewNotification};
use crate::plain_ws::Recipients;
use crate::socket::NAMESPACES;
use crate::state::SharedState;
use crate::wire;
use switchboard_store::MediaUpdate;
use utoipa::OpenApi;

/// The API routes. Handlers that reach Socket.IO clients find the instance
/// (of adapter `A`) in an `Extension`.
pub fn routes<A: Adapter>() -> Router<SharedState> {
    Router::new()
        .route("/processes", get(list_processes))
        .route("/processes/{id}", get(get_process))
        .route("/publish", post(publish::<A>))
        .route("/agent-status", post(agent_status))
        .route("/chat-messages", post(chat_message))
        .route("/stats", get(stats::<A>))
        .route(
            "/notifications",
            post(create_notification::<A>).get(list_notifications),
        )
        .route("/notifications/{id}/read", post(read_notification))
        .route("/media", post(create_media))
        .route("/media/{id}/progress", post(media_progress::<A>))
        .route("/media/{id}/complete", post(media_complete::<A>))
        .route("/media/{id}/error", post(media_error::<A>))
        .route("/openapi.json", get(openapi))
        .merge(crate::agent_api::routes())
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "No such API route") })
}

/// An API failure; the one place codes meet HTTP statuses.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
}

impl ApiError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status: status_of(code),
            code,
            message: message.into(),
        }
    }

    /// Fields of the wrong shape: 422.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::InvalidPayload, message)
    }

    /// A request that conflicts with the resource's state: 409.
    fn conflict(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::CONFLICT,
            ..ApiError::invalid(message)
        }
    }

    /// A body that is not JSON at all, or a bad query parameter: 400.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            ..ApiError::invalid(message)
        }
    }
}

/// The HTTP status of each code.
fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::ProcessNotFound | ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::InvalidPayload => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::RateLimited | ErrorCode::RateLimitExceeded => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ClaudeUnavailable | ErrorCode::LlmNotConfigured => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        ErrorCode::InvalidState => StatusCode::CONFLICT,
        ErrorCode::Internal
        | ErrorCode::LlmError
        | ErrorCode::ApprovalRejected
        | ErrorCode::ExecutionError
        | ErrorCode::Timeout
        | ErrorCode::Cancelled
        | ErrorCode::QueueTimeout
        | ErrorCode::StreamError
        | ErrorCode::Interrupted => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The body of every API error.
#[derive(ToSchema)]
#[allow(dead_code)] // only describes the JSON that `ApiError` writes
pub(crate) struct ErrorResponse {
    error: ErrorDetail,
}

/// `{code, message}` of an API error.
#[derive(ToSchema)]
#[allow(dead_code)] // only describes the JSON that `ApiError` writes
pub struct ErrorDetail {
    /// One of the codes in the product spec (e.g. `INVALID_PAYLOAD`).
    code: String,
    /// A human-readable reason.
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, axum::Json(body)).into_response()
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
pub(crate) fn caller(state: &SharedState, headers: &HeaderMap) -> Result<Identity, ApiError> {
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

/// Who may call backend routes: a configured API key, or an admin JWT.
fn backend(state: &SharedState, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = bearer(headers).ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthorized,
            "Authorization: Bearer API key required",
        )
    })?;
    if state
        .config
        .api
        .keys
        .iter()
        .any(|key| constant_time_eq(key.as_bytes(), token.as_bytes()))
    {
        return Ok(());
    }
    match state.verifier.verify(token) {
        Ok(identity) if identity.is_admin() => Ok(()),
        Ok(_) => Err(ApiError::new(
            ErrorCode::Forbidden,
            "An API key or an admin token is required",
        )),
        Err(_) => Err(ApiError::new(
            ErrorCode::Unauthorized,
            "Invalid API key or token",
        )),
    }
}

/// The caller of a route open to users and backends: `None` for a backend
/// (an API key or an admin token), the identity for any other valid JWT.
pub(crate) fn principal(
    state: &SharedState,
    headers: &HeaderMap,
) -> Result<Option<Identity>, ApiError> {
    let token = bearer(headers).ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthorized,
            "Authorization: Bearer token or API key required",
        )
    })?;
    if state
        .config
        .api
        .keys
        .iter()
        .any(|key| constant_time_eq(key.as_bytes(), token.as_bytes()))
    {
        return Ok(None);
    }
    match state.verifier.verify(token) {
        Ok(identity) if identity.is_admin() => Ok(None),
        Ok(identity) => Ok(Some(identity)),
        Err(error) => {
            state.metrics.auth_failed(error.code());
            Err(ApiError::new(
                ErrorCode::Unauthorized,
                "Invalid API key or token",
            ))
        }
    }
}

/// Compares secrets without leaking where they differ through timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Parses a JSON body: 400 when it is not JSON, 422 when fields are wrong.
pub(crate) fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    let value: Json = serde_json::from_slice(bytes)
        .map_err(|error| ApiError::bad_request(format!("Invalid JSON: {error}")))?;
    serde_json::from_value(value).map_err(|error| ApiError::invalid(error.to_string()))
}

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

#[utoipa::path(get, path = "/api/v1/stats", tag = "operations", security(("bearer" = [])),
    responses((status = 200, description = "Counts of this node", body = Object), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 403, description = "Not allowed", body = ErrorResponse)))]
/// `GET /api/v1/stats`: connections, rooms and processes of this node.
async fn stats<A: Adapter>(
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
            .filter(|socket| crate::socket::is_authenticated(socket))
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

fn internal(cause: &impl std::fmt::Display) -> ApiError {
    tracing::error!(%cause, "request failed");
    ApiError::new(ErrorCode::Internal, "Internal error")
}

#[utoipa::path(post, path = "/api/v1/notifications", tag = "notifications", request_body = NewNotification, security(("bearer" = [])),
    responses((status = 201, description = "Sent", body = Object), (status = 400, description = "Not JSON", body = ErrorResponse), (status = 422, description = "Invalid fields", body = ErrorResponse), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 403, description = "Not allowed", body = ErrorResponse)))]
/// `POST /api/v1/notifications {userId?, type, title, message, data?}`.
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
    let id = notify::send_notification(&io, &state.plain_clients, &state.store, &new)
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
        .map(notify::notification_view)
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
        json!({"success": true, "notification": notify::notification_view(&notification)}),
    )
    .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewMedia {
    user_id: String,
    #[serde(rename = "type")]
    kind: String,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Map<String, Json>>,
}

#[utoipa::path(post, path = "/api/v1/media", tag = "media", request_body = NewMedia, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = Object), (status = 400, description = "Not JSON", body = ErrorResponse), (status = 422, description = "Invalid fields", body = ErrorResponse), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 403, description = "Not allowed", body = ErrorResponse)))]
/// `POST /api/v1/media {userId, type, metadata?}` -> `{mediaId}`.
async fn create_media(
    State(state): State<SharedState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    backend(&state, &headers)?;
    let new: NewMedia = body(&bytes)?;
    if new.user_id.is_empty() || new.kind.is_empty() {
        return Err(ApiError::invalid("userId and type must not be empty"));
    }
    let id = switchboard_core::process::random_id("media");
    let metadata = new.metadata.map(|m| Json::Object(m).to_string());
    state
        .store
        .insert_media(&id, &new.user_id, &new.kind, metadata.as_deref())
        .await
        .map_err(|cause| internal(&cause))?;
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
    notify::announce_media(io, &media).await;
    Ok(
        axum::Json(json!({"success": true, "mediaId": id, "status": media.status.as_str()}))
            .into_response(),
    )
}

/// `GET /api/v1/openapi.json`: this API, described from the handlers above.
async fn openapi() -> Response {
    axum::Json(ApiDoc::openapi()).into_response()
}

/// The OpenAPI document: every route of this module.
#[derive(OpenApi)]
#[openapi(
    info(title = "Switchboard API", description = "HTTP API of Switchboard for users and backends."),
    paths(
        get_process, list_processes, publish, agent_status, chat_message, stats,
        create_notification, list_notifications, read_notification,
        create_media, media_progress, media_complete, media_error,
        agent_api::list_workflows, agent_api::create_workflow, agent_api::get_workflow,
        agent_api::update_workflow, agent_api::delete_workflow, agent_api::execute_workflow,
        agent_api::get_execution, agent_api::decide, agent_api::cancel, agent_api::pause,
        agent_api::resume
    ),
    components(schemas(ErrorResponse, ErrorDetail)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Declares the `bearer` scheme the paths refer to: an API key or a JWT.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}
