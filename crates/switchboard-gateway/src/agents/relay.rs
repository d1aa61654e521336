//! Tells clients what happens to agent executions: each [`AgentEvent`]
//! becomes an `agent:*` Socket.IO event in the rooms `execution:{id}`,
//! `workflow:{id}` and the owner's `user:{userId}` (SPEC §6), sent as one
//! broadcast so a socket in several of them gets it once, and a seed-002
//! monitor event for `/api/ws` subscribers (SPEC §8). The same mapping
//! serves stored history.

use chrono::Utc;
use serde_json::{Map, Value as Json, json};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use switchboard_agents::{AgentEvent, EventBody};
use switchboard_core::{ExecutionKind, ExecutionStatus};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::monitor::Monitors;
use crate::publish::hub;
use crate::wire;

/// Forwards runtime events until the runtime is gone.
pub fn spawn<A: Adapter>(
    io: SocketIo<A>,
    monitors: std::sync::Arc<Monitors>,
    mut events: mpsc::Receiver<AgentEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            monitors.publish(&event);
            let Some((name, payload)) = socket_event(&event) else {
                continue;
            };
            let Some(root) = io.of("/") else { continue };
            hub::broadcast(root.clone().to(rooms(&event)), name, &payload).await;
            if event.body.is_final() {
                // Nothing more happens in it: free its members' room slots.
                let room = format!("execution:{}", event.execution_id);
                if let Err(error) = root.to(room.clone()).leave(room).await {
                    tracing::debug!(execution = %event.execution_id, %error, "cannot empty the execution room");
                }
            }
        }
    })
}

/// Where `event` goes: its execution, its workflow, and its owner's sockets,
/// which also reach a client that reconnected mid-run and joined no room.
fn rooms(event: &AgentEvent) -> Vec<String> {
    let mut rooms = vec![format!("execution:{}", event.execution_id)];
    if let Some(workflow_id) = &event.workflow_id {
        rooms.push(format!("workflow:{workflow_id}"));
    }
    rooms.push(format!("user:{}", event.owner));
    rooms
}

/// An execution's status in the words of seed 002 where it has one
/// (`pending` for a queued run), shared by every view of an execution.
pub fn status_word(status: ExecutionStatus) -> &'static str {
    match status {
        ExecutionStatus::Queued => "pending",
        other => other.as_str(),
    }
}

fn is_workflow(kind: ExecutionKind) -> bool {
    matches!(kind, ExecutionKind::Workflow | ExecutionKind::Orchestration)
}

/// The Socket.IO event name and payload of `event`; `None` for events the
/// seeds have no name for (a queued critique). The payload carries the
/// event's `sequence` in its execution's history, so a client that
/// reconnects knows where to resume (`agent:workflow:status
/// {executionId, afterSequence}`).
pub fn socket_event(event: &AgentEvent) -> Option<(&'static str, Json)> {
    let (name, mut payload) = named(event)?;
    payload.insert("sequence".into(), json!(event.seq));
    Some((name, Json::Object(payload)))
}

/// The event name and payload fields shared by the Socket.IO and seed-002
/// forms of `event`.
fn named(event: &AgentEvent) -> Option<(&'static str, Map<String, Json>)> {
    let workflow = is_workflow(event.kind);
    let error_event = match event.kind {
        ExecutionKind::Critique => "agent:critique:error",
        ExecutionKind::Discussion => "agent:discussion:error",
        _ => "agent:workflow:failed",
    };
    let (name, fields) = match &event.body {
        EventBody::Queued { position } if workflow => (
            "agent:workflow:queued",
            json!({"queuePosition": position, "message": format!("Queue position: {position}")}),
        ),
        EventBody::Started if workflow => ("agent:workflow:started", json!({})),
        EventBody::Queued { .. } | EventBody::Started => return None,
        EventBody::StepStarted {
            step_id,
            step_name,
            step_kind,
            attempt,
        } => (
            "agent:workflow:step:started",
            json!({"stepId": step_id, "stepName": step_name, "stepKind": step_kind, "attempt": attempt}),
        ),
        EventBody::StepProgress {
            step_id,
            delta,
            progress,
            workflow_progress,
            awaiting_approval,
        } => {
            let mut fields = json!({"stepId": step_id, "progress": progress, "workflowProgress": workflow_progress});
            if let Some(delta) = delta {
                fields["delta"] = json!(delta);
                fields["status"] = json!("running");
            }
            if let Some(message) = awaiting_approval {
                fields["status"] = json!("awaiting_approval");
                fields["awaitingApproval"] = json!(true);
                fields["message"] = json!(message);
            }
            ("agent:workflow:step:progress", fields)
        }
        EventBody::StepCompleted {
            step_id,
            step_name,
            output,
            progress,
        } => (
            "agent:workflow:step:completed",
            json!({"stepId": step_id, "stepName": step_name, "output": output, "progress": 100, "workflowProgress": progress}),
        ),
        EventBody::StepFailed {
            step_id,
            step_name,
            error,
            attempt,
            will_retry,
        } => (
            "agent:workflow:step:failed",
            json!({"stepId": step_id, "stepName": step_name, "error": error, "attempt": attempt, "willRetry": will_retry}),
        ),
        EventBody::Paused => ("agent:workflow:paused", json!({})),
        EventBody::Resumed { restart } => ("agent:workflow:resumed", json!({"restart": restart})),
        EventBody::Completed { results } => {
            ("agent:workflow:completed", json!({"results": results}))
        }
        EventBody::Failed { code, error } => (
            error_event,
            json!({"code": code, "error": error, "message": error}),
        ),
        EventBody::Cancelled if workflow => ("agent:workflow:cancelled", json!({})),
        EventBody::Cancelled => (
            error_event,
            json!({"code": "CANCELLED", "error": "Cancelled", "message": "Cancelled"}),
        ),
        EventBody::CritiqueIteration {
            iteration,
            scores,
            average,
            feedback,
            content,
            structured,
        } => (
            "agent:critique:iteration",
            json!({"iteration": iteration, "scores": scores, "averageScore": average, "feedback": feedback, "content": content, "structured": structured}),
        ),
        EventBody::CritiqueConverged { iterations, scores } => (
            "agent:critique:converged",
            json!({"iterations": iterations, "scores": scores}),
        ),
        EventBody::CritiqueCompleted {
            result,
            iterations,
            scores,
            converged,
            best_iteration,
        } => (
            "agent:critique:completed",
            json!({"result": result, "iterations": iterations, "scores": scores, "converged": converged, "bestIteration": best_iteration}),
        ),
        EventBody::RoundStarted { round } => {
            ("agent:discussion:round-started", json!({"round": round}))
        }
        EventBody::Contribution {
            round,
            role,
            contribution,
        } => (
            "agent:discussion:contribution",
            json!({"round": round, "agentRole": role, "contribution": contribution}),
        ),
        EventBody::RoundCompleted {
            round,
            consensus,
            confidence,
            summary,
        } => (
            "agent:discussion:round-completed",
            json!({"round": round, "consensus": consensus, "confidence": confidence, "summary": summary}),
        ),
        EventBody::DiscussionConverged { round, summary } => (
            "agent:discussion:converged",
            json!({"round": round, "summary": summary}),
        ),
        EventBody::DiscussionCompleted {
            synthesis,
            consensus_reached,
            rounds,
        } => (
            "agent:discussion:completed",
            json!({"synthesis": synthesis, "consensusReached": consensus_reached, "rounds": rounds}),
        ),
    };
    let mut payload = Map::new();
    if let Some(workflow_id) = &event.workflow_id {
        payload.insert("workflowId".into(), json!(workflow_id));
    }
    payload.insert("executionId".into(), json!(event.execution_id));
    if let Json::Object(fields) = fields {
        payload.extend(fields);
    }
    payload.insert("timestamp".into(), json!(wire::iso(event.at)));
    Some((name, payload))
}

/// The seed-002 form `{id, type, timestamp, data}`: `agent-start`,
/// `agent-progress` (with `data.stage` naming the step), `agent-complete`
/// or `error`.
pub fn monitor_event(event: &AgentEvent) -> Json {
    let kind = match &event.body {
        EventBody::Started => "agent-start",
        EventBody::Completed { .. }
        | EventBody::CritiqueCompleted { .. }
        | EventBody::DiscussionCompleted { .. } => "agent-complete",
        EventBody::Failed { .. } | EventBody::Cancelled => "error",
        _ => "agent-progress",
    };
    let mut data = match named(event) {
        Some((name, mut fields)) => {
            fields.insert("stage".into(), json!(name.trim_start_matches("agent:")));
            fields
        }
        _ => {
            let mut fields = Map::new();
            fields.insert("executionId".into(), json!(event.execution_id));
            fields.insert(
                "stage".into(),
                json!(match event.body {
                    EventBody::Queued { .. } => "queued",
                    _ => "started",
                }),
            );
            if let EventBody::Queued { position } = event.body {
                fields.insert("queuePosition".into(), json!(position));
            }
            fields
        }
    };
    data.insert("kind".into(), json!(event.kind.as_str()));
    // The execution's status after this event, where the event changes it.
    let status = match &event.body {
        EventBody::Queued { .. } => Some(ExecutionStatus::Queued),
        EventBody::Started | EventBody::Resumed { .. } => Some(ExecutionStatus::Running),
        EventBody::Paused => Some(ExecutionStatus::Paused),
        EventBody::Completed { .. }
        | EventBody::CritiqueCompleted { .. }
        | EventBody::DiscussionCompleted { .. } => Some(ExecutionStatus::Completed),
        EventBody::Failed { .. } => Some(ExecutionStatus::Failed),
        EventBody::Cancelled => {
            data.insert("code".into(), json!("CANCELLED"));
            data.entry("error").or_insert(json!("Cancelled"));
            Some(ExecutionStatus::Cancelled)
        }
        _ => None,
    };
    if let Some(status) = status {
        data.insert("status".into(), json!(status_word(status)));
    }
    json!({
        "id": format!("{}:{}", event.execution_id, event.seq),
        "type": kind,
        "timestamp": wire::iso(event.at),
        "data": data,
    })
}

/// Milliseconds now, for messages that carry their own send time.
pub fn now() -> String {
    wire::iso(Utc::now())
}
