//! `agent:*` (SPEC §6): thin handlers that decode the payload, call the
//! agent runtime, and answer. Events of the runs reach the rooms
//! `execution:{id}` and `workflow:{id}` through the agent relay.

use chrono::Utc;
use serde_json::{Value as Json, json};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};
use switchboard_agents::{
    Accepted, AgentError, AgentRuntime, CritiqueRequest, Decision, DiscussionRequest, Target,
    Viewer,
};
use switchboard_core::{ErrorCode, Identity, ResourceKind};

use super::payload::{count, object, sequence, string, strings, target};
use super::resume::replay;
use crate::socketio::Args;
use crate::socketio::{Call, Refusal};
use crate::state::SharedState;
use crate::wire;

const AUTH_REQUIRED: &str = "Authentication required for agent commands";

/// Which error event a handler's failures also go to, besides `agent:error`.
#[derive(Clone, Copy)]
enum Family {
    Workflow,
    Critique,
    Discussion,
}

impl Family {
    /// The family of an `agent:*` event name.
    fn of(event: &str) -> Family {
        if event.starts_with("agent:critique") {
            Family::Critique
        } else if event.starts_with("agent:discussion") {
            Family::Discussion
        } else {
            Family::Workflow
        }
    }
}

/// Answers a failed `agent:*` call: the ack, `agent:error`, the family's
/// own error event for critiques and discussions, and the generic `error`
/// its code calls for (SPEC §3).
fn fail<A: Adapter>(call: Call<A>, family: Family, code: ErrorCode, message: &str) {
    fail_as(call, family, code, message, Refusal::from(code));
}

fn fail_as<A: Adapter>(
    call: Call<A>,
    family: Family,
    code: ErrorCode,
    message: &str,
    refusal: Refusal,
) {
    call.report(refusal, message);
    let timestamp = wire::iso(Utc::now());
    let payload =
        json!({"code": code, "message": message, "error": message, "timestamp": timestamp});
    call.emit("agent:error", &payload);
    match family {
        Family::Critique => call.emit("agent:critique:error", &payload),
        Family::Discussion => call.emit("agent:discussion:error", &payload),
        Family::Workflow => {}
    }
    call.ack(&json!({"success": false, "error": message, "code": code}));
}

fn refuse<A: Adapter>(call: Call<A>, family: Family, error: &AgentError) {
    refuse_as(call, family, error, Refusal::from(error.code()));
}

/// Refuses a request that names an execution: an unknown one (or one the
/// caller may not see) is also `PROCESS_NOT_FOUND` on `error`.
fn refuse_lookup<A: Adapter>(call: Call<A>, family: Family, error: &AgentError) {
    let refusal = match error {
        AgentError::NotFound(_) => Refusal::UnknownId,
        _ => Refusal::from(error.code()),
    };
    refuse_as(call, family, error, refusal);
}

fn refuse_as<A: Adapter>(call: Call<A>, family: Family, error: &AgentError, refusal: Refusal) {
    if error.code() == ErrorCode::Internal {
        tracing::error!(%error, "agent request failed");
        return fail(call, family, ErrorCode::Internal, "Internal error");
    }
    fail_as(call, family, error.code(), &error.to_string(), refusal);
}

/// Starts handling an authenticated `agent:*` event.
async fn begin<A: Adapter>(
    event: &'static str,
    family: Family,
    socket: SocketRef<A>,
    ack: AckSender<A>,
    state: SharedState,
    args: &Args,
) -> Option<(Call<A>, Identity)> {
    let call = Call::begin(event, socket, ack, state, args).await?;
    match call.session.identity() {
        Some(identity) => Some((call, identity)),
        None => {
            fail(call, family, ErrorCode::Unauthorized, AUTH_REQUIRED);
            None
        }
    }
}

/// Answers the accepted run, joins the requester to its rooms, starts it.
async fn launch<A: Adapter>(call: Call<A>, identity: &Identity, accepted: Accepted) {
    let execution_id = accepted.execution_id.clone();
    let workflow_id = accepted.workflow_id.clone();
    // Joined before the run starts, so the requester sees every event.
    call.socket.join(format!("execution:{execution_id}"));
    if let Some(workflow_id) = &workflow_id {
        let owner = call
            .state
            .store
            .owner_of(ResourceKind::Workflow, workflow_id)
            .await
            .ok()
            .flatten();
        if owner.as_deref() == Some(identity.user_id.as_str()) {
            call.socket.join(format!("workflow:{workflow_id}"));
        }
    }
    let agents = call.state.agents.clone();
    let mut answer = json!({"success": true, "executionId": execution_id});
    if let Some(workflow_id) = workflow_id {
        answer["workflowId"] = json!(workflow_id);
    }
    call.ack(&answer);
    agents.launch(accepted);
}

/// Handles an event that starts a run: authenticates, decodes the payload
/// object with `decode`, starts the run with `run`, then answers and
/// launches it, or answers the failure.
async fn start<A: Adapter, T>(
    event: &'static str,
    socket: SocketRef<A>,
    ack: AckSender<A>,
    state: SharedState,
    args: Args,
    decode: impl FnOnce(&serde_json::Map<String, Json>) -> Result<T, String>,
    run: impl AsyncFnOnce(AgentRuntime, String, T) -> Result<Accepted, AgentError>,
) {
    let family = Family::of(event);
    let Some((call, identity)) = begin(event, family, socket, ack, state, &args).await else {
        return;
    };
    let request = match object(&args, event).and_then(|fields| decode(&fields)) {
        Ok(request) => request,
        Err(message) => return fail(call, family, ErrorCode::InvalidPayload, &message),
    };
    let agents = call.state.agents.clone();
    match run(agents, identity.user_id.clone(), request).await {
        Ok(accepted) => launch(call, &identity, accepted).await,
        Err(error) => refuse(call, family, &error),
    }
}

/// `agent:workflow:execute {workflowId, input?}`.
pub async fn execute<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let decode = |fields: &serde_json::Map<String, Json>| {
        let workflow_id = string(fields, "workflowId")?.ok_or("workflowId is required")?;
        let input = fields.get("input").cloned().unwrap_or_else(|| json!({}));
        if !(input.is_object() || input.is_null()) {
            return Err("input must be an object".to_owned());
        }
        Ok((workflow_id, input))
    };
    let run = async |agents: AgentRuntime, user: String, (workflow_id, input): (String, Json)| {
        agents.execute_workflow(&user, &workflow_id, input).await
    };
    let event = "agent:workflow:execute";
    start(event, socket, ack, state, args, decode, run).await;
}

/// `agent:orchestrate {task, agents}`.
pub async fn orchestrate<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let decode = |fields: &serde_json::Map<String, Json>| {
        let task = string(fields, "task")?.ok_or("task is required")?;
        Ok((task, strings(fields, "agents")?))
    };
    let run = async |agents: AgentRuntime, user: String, (task, roles): (String, Vec<String>)| {
        agents.orchestrate(&user, task, roles).await
    };
    let event = "agent:orchestrate";
    start(event, socket, ack, state, args, decode, run).await;
}

/// `agent:critique:execute {content, criteria, maxIterations?, threshold?}`.
pub async fn critique<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let decode = |fields: &serde_json::Map<String, Json>| {
        let content = string(fields, "content")?.ok_or("content is required")?;
        let threshold = match fields.get("threshold") {
            None | Some(Json::Null) => None,
            Some(value) => Some(value.as_f64().ok_or("threshold must be a number")?),
        };
        CritiqueRequest::new(
            content,
            strings(fields, "criteria")?,
            count(fields, "maxIterations")?,
            threshold,
        )
        .map_err(|error| error.to_string())
    };
    let run = async |agents: AgentRuntime, user: String, request: CritiqueRequest| {
        agents.critique(&user, request).await
    };
    let event = "agent:critique:execute";
    start(event, socket, ack, state, args, decode, run).await;
}

/// `agent:discussion:execute {topic, participants, maxRounds?}`.
pub async fn discuss<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let decode = |fields: &serde_json::Map<String, Json>| {
        let topic = string(fields, "topic")?.ok_or("topic is required")?;
        DiscussionRequest::new(
            topic,
            strings(fields, "participants")?,
            count(fields, "maxRounds")?,
        )
        .map_err(|error| error.to_string())
    };
    let run = async |agents: AgentRuntime, user: String, request: DiscussionRequest| {
        agents.discuss(&user, request).await
    };
    let event = "agent:discussion:execute";
    start(event, socket, ack, state, args, decode, run).await;
}

/// The control events and what they do.
#[derive(Clone, Copy)]
enum Control {
    Status,
    Cancel,
    Pause,
    Resume,
}

async fn control<A: Adapter>(
    event: &'static str,
    what: Control,
    socket: SocketRef<A>,
    ack: AckSender<A>,
    state: SharedState,
    args: Args,
) {
    let family = Family::Workflow;
    let Some((call, identity)) = begin(event, family, socket, ack, state, &args).await else {
        return;
    };
    // Status only: the stored events after this sequence number, for a
    // client that resumes a stream.
    let decoded = target(&args).and_then(|(execution, workflow)| {
        let after = match (what, args.first()) {
            (Control::Status, Some(Json::Object(fields))) => sequence(fields, "afterSequence")?,
            _ => None,
        };
        Ok((execution, workflow, after))
    });
    let (execution, workflow, after) = match decoded {
        Ok(decoded) => decoded,
        Err(message) => {
            return fail(
                call,
                family,
                ErrorCode::InvalidPayload,
                &format!("{event} {message}"),
            );
        }
    };
    let user = identity.user_id.as_str();
    let agents = call.state.agents.clone();
    let target = match (&execution, &workflow) {
        (Some(id), _) => Target::Execution(id),
        (None, Some(id)) => Target::Workflow(id),
        (None, None) => return fail(call, family, ErrorCode::InvalidPayload, event),
    };
    let active_only = !matches!(what, Control::Status);
    let id = match agents.resolve(user, target, active_only).await {
        Ok(id) => id,
        Err(error) => return refuse_lookup(call, family, &error),
    };
    let done = match what {
        Control::Status => Ok("status"),
        Control::Cancel => agents
            .cancel(user, &id)
            .await
            .map(|()| "Execution cancelled"),
        Control::Pause => agents.pause(user, &id).await.map(|()| "Execution paused"),
        Control::Resume => agents.resume(user, &id).await.map(|()| "Execution resumed"),
    };
    let message = match done {
        Ok(message) => message,
        Err(error) => return refuse_lookup(call, family, &error),
    };
    match agents.view(Viewer::User(user), &id).await {
        Ok(view) => {
            let mut answer = super::routes::execution_json(&view, None);
            answer["success"] = json!(true);
            if !matches!(what, Control::Status) {
                answer["message"] = json!(message);
            }
            if let Some(after) = after {
                match replay(&agents, &id, after).await {
                    Ok((events, more, last)) => {
                        answer["events"] = json!(events);
                        answer["more"] = json!(more);
                        answer["lastSequence"] = json!(last);
                    }
                    Err(error) => return refuse_lookup(call, family, &error),
                }
            }
            call.ack(&answer);
        }
        Err(error) => refuse_lookup(call, family, &error),
    }
}

/// `agent:workflow:status`.
pub async fn status<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    control(
        "agent:workflow:status",
        Control::Status,
        socket,
        ack,
        state,
        args,
    )
    .await;
}

/// `agent:workflow:cancel`.
pub async fn cancel<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    control(
        "agent:workflow:cancel",
        Control::Cancel,
        socket,
        ack,
        state,
        args,
    )
    .await;
}

/// `agent:workflow:pause`.
pub async fn pause<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    control(
        "agent:workflow:pause",
        Control::Pause,
        socket,
        ack,
        state,
        args,
    )
    .await;
}

/// `agent:workflow:resume`.
pub async fn resume<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    control(
        "agent:workflow:resume",
        Control::Resume,
        socket,
        ack,
        state,
        args,
    )
    .await;
}

/// `agent:workflow:approve {executionId, stepId, approved, comment?}`.
pub async fn approve<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let family = Family::Workflow;
    let Some((call, identity)) =
        begin("agent:workflow:approve", family, socket, ack, state, &args).await
    else {
        return;
    };
    let decoded = object(&args, "agent:workflow:approve").and_then(|fields| {
        let execution_id = string(&fields, "executionId")?.ok_or("executionId is required")?;
        let step_id = string(&fields, "stepId")?.ok_or("stepId is required")?;
        let approved = fields
            .get("approved")
            .and_then(Json::as_bool)
            .ok_or("approved must be a boolean")?;
        Ok((execution_id, step_id, approved, string(&fields, "comment")?))
    });
    let (execution_id, step_id, approved, comment) = match decoded {
        Ok(decoded) => decoded,
        Err(message) => return fail(call, family, ErrorCode::InvalidPayload, &message),
    };
    let decision = Decision {
        approved,
        comment,
        by: identity.user_id.clone(),
    };
    let agents = call.state.agents.clone();
    match agents
        .decide(
            Viewer::User(&identity.user_id),
            &execution_id,
            &step_id,
            decision,
        )
        .await
    {
        Ok(()) => call.ack(&json!({
            "success": true,
            "executionId": execution_id,
            "stepId": step_id,
            "approved": approved,
        })),
        Err(error) => refuse_lookup(call, family, &error),
    }
}
