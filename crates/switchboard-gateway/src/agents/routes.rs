//! The agent part of `/api/v1` (SPEC §6, §8): workflow definitions
//! (JSON or YAML bodies), starting and steering executions, approvals, and
//! `GET /executions/{id}` with the stored event history of seed 002.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use switchboard_agents::{
    AgentError, AgentEvent, Decision, ExecutionView, Viewer, WorkflowDefinition, WorkflowEntry,
};
use switchboard_core::Identity;
use utoipa::ToSchema;

use super::relay::{monitor_event, status_word};
use crate::http::{ApiError, ErrorResponse, body, caller, principal};
use crate::state::SharedState;
use crate::wire;

/// The routes, nested under `/api/v1`.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/workflows", get(list_workflows).post(create_workflow))
        .route(
            "/workflows/{id}",
            get(get_workflow)
                .put(update_workflow)
                .delete(delete_workflow),
        )
        .route("/workflows/{id}/executions", post(execute_workflow))
        .route("/executions/{id}", get(get_execution))
        .route("/executions/{id}/approvals", post(decide))
        .route("/executions/{id}/cancel", post(cancel))
        .route("/executions/{id}/pause", post(pause))
        .route("/executions/{id}/resume", post(resume))
}

/// The OpenAPI paths of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_workflows,
    create_workflow,
    get_workflow,
    update_workflow,
    delete_workflow,
    execute_workflow,
    get_execution,
    decide,
    cancel,
    pause,
    resume
))]
pub struct Doc;

impl From<AgentError> for ApiError {
    fn from(error: AgentError) -> Self {
        let code = error.code();
        if code == switchboard_core::ErrorCode::Internal {
            tracing::error!(%error, "agent request failed");
            return ApiError::new(code, "Internal error");
        }
        ApiError::new(code, error.to_string())
    }
}

/// Who calls: a backend (API key or admin token) or a user (JWT).
enum Principal {
    Backend,
    User(Identity),
}

impl Principal {
    fn viewer(&self) -> Viewer<'_> {
        match self {
            Principal::Backend => Viewer::Backend,
            Principal::User(identity) => Viewer::User(&identity.user_id),
        }
    }
}

fn who(state: &SharedState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    Ok(match principal(state, headers)? {
        None => Principal::Backend,
        Some(identity) => Principal::User(identity),
    })
}

/// A definition from a JSON or (by content type) YAML body.
fn definition(headers: &HeaderMap, bytes: &Bytes) -> Result<WorkflowDefinition, ApiError> {
    let yaml = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("yaml"));
    let parsed = if yaml {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| ApiError::bad_request("The YAML body is not UTF-8"))?;
        WorkflowDefinition::from_yaml(text)
    } else {
        let value: Json = body(bytes)?;
        serde_json::from_value(value).map_err(|error| {
            switchboard_agents::definition::DefinitionError::Parse(error.to_string())
        })
    };
    parsed.map_err(|error| ApiError::from(AgentError::from(error)))
}

fn workflow_json(entry: &WorkflowEntry) -> Json {
    let definition = entry.workflow.definition();
    json!({
        "id": entry.id,
        "name": definition.name,
        "description": definition.description,
        "steps": definition.steps,
        "owner": entry.owner,
        "source": if entry.from_file { "file" } else { "api" },
        "createdAt": wire::iso(entry.created_at),
        "updatedAt": wire::iso(entry.updated_at),
    })
}

/// An execution as clients see it; with `events`, its history in the seed-002 form.
pub fn execution_json(view: &ExecutionView, events: Option<&[AgentEvent]>) -> Json {
    let record = &view.record;
    let execution = &record.execution;
    let parse = |text: &str| serde_json::from_str::<Json>(text).unwrap_or(Json::Null);
    let steps: Vec<Json> = record
        .steps
        .iter()
        .map(|step| {
            json!({
                "stepId": step.step_id,
                "status": step.status.as_str(),
                "output": step.output.as_deref().map(parse),
                "error": step.error,
                "attempts": step.attempts,
                "updatedAt": wire::iso(step.updated_at),
            })
        })
        .collect();
    let mut value = json!({
        "id": execution.id,
        "executionId": execution.id,
        "kind": execution.kind.as_str(),
        "workflowId": execution.workflow_id,
        "status": status_word(record.status),
        "input": parse(&execution.input),
        "result": record.result.as_deref().map(parse),
        "error": record.error,
        "steps": steps,
        "agent": {"type": execution.kind.as_str(), "workflowId": execution.workflow_id},
        "department": null,
        "createdAt": wire::iso(execution.created_at),
        "updatedAt": wire::iso(record.updated_at),
    });
    if let Some(position) = view.queue_position {
        value["queuePosition"] = json!(position);
    }
    if let Some(events) = events {
        value["events"] = events.iter().map(monitor_event).collect();
    }
    value
}

#[utoipa::path(get, path = "/api/v1/workflows", tag = "agents", security(("bearer" = [])),
    responses((status = 200, description = "Definitions the caller may run", body = Object), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse)))]
/// `GET /api/v1/workflows`: shared definitions and the caller's own.
pub async fn list_workflows(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let principal = who(&state, &headers)?;
    let entries = state.agents.catalog().list(principal.viewer()).await?;
    let workflows: Vec<Json> = entries.iter().map(workflow_json).collect();
    Ok(axum::Json(json!({ "workflows": workflows })).into_response())
}

#[utoipa::path(post, path = "/api/v1/workflows", tag = "agents", request_body(content = Object, description = "A definition {name, description?, steps:[{id, name?, kind, dependsOn?, ...}]}, as JSON or YAML (content-type application/yaml)"), security(("bearer" = [])),
    responses((status = 201, description = "Stored; the body is the workflow with its wf_ id", body = Object), (status = 400, description = "Not JSON", body = ErrorResponse), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 422, description = "Invalid definition (unknown dependency, cycle, bad template)", body = ErrorResponse)))]
/// `POST /api/v1/workflows`: validates and stores a definition. A user's
/// definition is theirs; a backend's is shared with every user.
pub async fn create_workflow(
    State(state): State<SharedState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let principal = who(&state, &headers)?;
    let definition = definition(&headers, &bytes)?;
    let entry = state
        .agents
        .catalog()
        .create(principal.viewer(), definition)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(workflow_json(&entry))).into_response())
}

#[utoipa::path(get, path = "/api/v1/workflows/{id}", tag = "agents", params(("id" = String, Path, description = "Workflow id")), security(("bearer" = [])),
    responses((status = 200, description = "The definition", body = Object), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 404, description = "Unknown workflow", body = ErrorResponse)))]
/// `GET /api/v1/workflows/{id}`.
pub async fn get_workflow(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let principal = who(&state, &headers)?;
    let entry = state.agents.catalog().get(principal.viewer(), &id).await?;
    Ok(axum::Json(workflow_json(&entry)).into_response())
}

#[utoipa::path(put, path = "/api/v1/workflows/{id}", tag = "agents", params(("id" = String, Path, description = "Workflow id")), request_body(content = Object, description = "The new definition, JSON or YAML"), security(("bearer" = [])),
    responses((status = 200, description = "Replaced; running executions keep their snapshot", body = Object), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 403, description = "Not the owner", body = ErrorResponse), (status = 404, description = "Unknown workflow", body = ErrorResponse), (status = 409, description = "Defined in the workflows folder", body = ErrorResponse), (status = 422, description = "Invalid definition", body = ErrorResponse)))]
/// `PUT /api/v1/workflows/{id}`.
pub async fn update_workflow(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let principal = who(&state, &headers)?;
    let definition = definition(&headers, &bytes)?;
    let entry = state
        .agents
        .catalog()
        .update(principal.viewer(), &id, definition)
        .await?;
    Ok(axum::Json(workflow_json(&entry)).into_response())
}

#[utoipa::path(delete, path = "/api/v1/workflows/{id}", tag = "agents", params(("id" = String, Path, description = "Workflow id")), security(("bearer" = [])),
    responses((status = 200, description = "Deleted", body = Object), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 403, description = "Not the owner", body = ErrorResponse), (status = 404, description = "Unknown workflow", body = ErrorResponse), (status = 409, description = "Defined in the workflows folder", body = ErrorResponse)))]
/// `DELETE /api/v1/workflows/{id}`.
pub async fn delete_workflow(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let principal = who(&state, &headers)?;
    state
        .agents
        .catalog()
        .delete(principal.viewer(), &id)
        .await?;
    Ok(axum::Json(json!({"success": true, "id": id})).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ExecuteBody {
    #[serde(default)]
    #[schema(value_type = Object)]
    input: Json,
}

#[utoipa::path(post, path = "/api/v1/workflows/{id}/executions", tag = "agents", params(("id" = String, Path, description = "Workflow id")), request_body = ExecuteBody, security(("bearer" = [])),
    responses((status = 202, description = "Accepted: {executionId, workflowId}; events go to the rooms execution:{id} and workflow:{id}", body = Object), (status = 401, description = "A user token is required", body = ErrorResponse), (status = 404, description = "Unknown workflow", body = ErrorResponse), (status = 503, description = "No LLM provider configured", body = ErrorResponse)))]
/// `POST /api/v1/workflows/{id}/executions {input}`: runs a workflow as the calling user.
pub async fn execute_workflow(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let identity = caller(&state, &headers)?;
    let request: ExecuteBody = if bytes.is_empty() {
        ExecuteBody { input: json!({}) }
    } else {
        body(&bytes)?
    };
    if !(request.input.is_object() || request.input.is_null()) {
        return Err(ApiError::invalid("input must be an object"));
    }
    let accepted = state
        .agents
        .execute_workflow(&identity.user_id, &id, request.input)
        .await?;
    let answer = json!({"executionId": accepted.execution_id, "workflowId": accepted.workflow_id});
    state.agents.launch(accepted);
    Ok((StatusCode::ACCEPTED, axum::Json(answer)).into_response())
}

#[utoipa::path(get, path = "/api/v1/executions/{id}", tag = "agents", params(("id" = String, Path, description = "Execution id")), security(("bearer" = [])),
    responses((status = 200, description = "The execution with its step checkpoints and its event history ({id, type, timestamp, data}, oldest first)", body = Object), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 404, description = "Unknown execution, or not the caller's", body = ErrorResponse)))]
/// `GET /api/v1/executions/{id}`: for its owner (or a backend).
pub async fn get_execution(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let principal = who(&state, &headers)?;
    let view = state.agents.view(principal.viewer(), &id).await?;
    let events = state.agents.history(&id, 0).await?;
    Ok(axum::Json(execution_json(&view, Some(&events))).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DecisionBody {
    step_id: String,
    approved: bool,
    comment: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/executions/{id}/approvals", tag = "agents", params(("id" = String, Path, description = "Execution id")), request_body = DecisionBody, security(("bearer" = [])),
    responses((status = 200, description = "Decided", body = Object), (status = 401, description = "Missing or invalid credentials", body = ErrorResponse), (status = 404, description = "Unknown execution", body = ErrorResponse), (status = 409, description = "The step is not waiting for approval", body = ErrorResponse), (status = 422, description = "Bad body", body = ErrorResponse)))]
/// `POST /api/v1/executions/{id}/approvals {stepId, approved, comment?}`.
pub async fn decide(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let principal = who(&state, &headers)?;
    let request: DecisionBody = body(&bytes)?;
    let by = match &principal {
        Principal::Backend => "api".to_owned(),
        Principal::User(identity) => identity.user_id.clone(),
    };
    let decision = Decision {
        approved: request.approved,
        comment: request.comment,
        by,
    };
    state
        .agents
        .decide(principal.viewer(), &id, &request.step_id, decision)
        .await?;
    Ok(axum::Json(json!({
        "success": true,
        "executionId": id,
        "stepId": request.step_id,
        "approved": request.approved,
    }))
    .into_response())
}

/// Cancel, pause or resume as the owner, answering the execution.
async fn steer(
    state: &SharedState,
    headers: &HeaderMap,
    id: &str,
    action: &str,
) -> Result<Response, ApiError> {
    let identity = caller(state, headers)?;
    let user = identity.user_id.as_str();
    let agents = &state.agents;
    agents.view(Viewer::User(user), id).await?;
    match action {
        "cancel" => agents.cancel(user, id).await?,
        "pause" => agents.pause(user, id).await?,
        _ => agents.resume(user, id).await?,
    }
    let view = agents.view(Viewer::User(user), id).await?;
    Ok(axum::Json(execution_json(&view, None)).into_response())
}

#[utoipa::path(post, path = "/api/v1/executions/{id}/cancel", tag = "agents", params(("id" = String, Path, description = "Execution id")), security(("bearer" = [])),
    responses((status = 200, description = "Cancelling; running steps are stopped", body = Object), (status = 404, description = "Unknown execution", body = ErrorResponse), (status = 409, description = "Not active", body = ErrorResponse)))]
/// `POST /api/v1/executions/{id}/cancel`.
pub async fn cancel(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    steer(&state, &headers, &id, "cancel").await
}

#[utoipa::path(post, path = "/api/v1/executions/{id}/pause", tag = "agents", params(("id" = String, Path, description = "Execution id")), security(("bearer" = [])),
    responses((status = 200, description = "Paused: no new step starts", body = Object), (status = 404, description = "Unknown execution", body = ErrorResponse), (status = 409, description = "Not running", body = ErrorResponse)))]
/// `POST /api/v1/executions/{id}/pause`.
pub async fn pause(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    steer(&state, &headers, &id, "pause").await
}

#[utoipa::path(post, path = "/api/v1/executions/{id}/resume", tag = "agents", params(("id" = String, Path, description = "Execution id")), security(("bearer" = [])),
    responses((status = 200, description = "Resumed", body = Object), (status = 404, description = "Unknown execution", body = ErrorResponse), (status = 409, description = "Not paused", body = ErrorResponse)))]
/// `POST /api/v1/executions/{id}/resume`.
pub async fn resume(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    steer(&state, &headers, &id, "resume").await
}
