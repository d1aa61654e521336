//! Tells clients what happens to processes: each [`ProcessEvent`] from the
//! runner becomes a `claude:*` event in the room `process:{id}` on `/`,
//! in the order the runner produced them.

use chrono::Utc;
use serde::Serialize;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use switchboard_jobs::claude::{ProcessEvent, ProcessEventKind};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::wire;

/// Forwards runner events until the runner is gone.
pub fn spawn<A: Adapter>(
    io: SocketIo<A>,
    mut events: mpsc::Receiver<ProcessEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            forward(&io, &event).await;
        }
    })
}

async fn forward<A: Adapter>(io: &SocketIo<A>, event: &ProcessEvent) {
    let id = event.id.as_str();
    let timestamp = wire::iso(Utc::now());
    match &event.kind {
        ProcessEventKind::Queued { position } => {
            let payload = wire::ClaudeQueued {
                process_id: id,
                queue_position: *position,
                message: format!("Queue position: {position}"),
                timestamp,
            };
            send(io, id, "claude:queued", &payload).await;
        }
        ProcessEventKind::Started => {
            let payload = wire::ClaudeProgress {
                process_id: id,
                status: "running",
                message: Some("Process started"),
                data: None,
                output: None,
                timestamp,
            };
            send(io, id, "claude:progress", &payload).await;
        }
        ProcessEventKind::Output { chunk } => {
            let payload = wire::ClaudeProgress {
                process_id: id,
                status: "running",
                message: None,
                data: Some(chunk),
                output: Some(chunk),
                timestamp,
            };
            send(io, id, "claude:progress", &payload).await;
        }
        ProcessEventKind::Completed(finished) => {
            let result =
                wire::ProcessResult::new(id, &finished.user_id, finished.status, &finished.outcome);
            let payload = wire::ClaudeComplete {
                process_id: id,
                duration_ms: result.duration_ms,
                output: &finished.outcome.output,
                result,
                timestamp,
            };
            send(io, id, "claude:complete", &payload).await;
        }
        ProcessEventKind::Failed { code, message, .. } => {
            let payload = wire::ClaudeError {
                process_id: Some(id),
                code: *code,
                message,
                retry_after: None,
                timestamp,
            };
            send(io, id, "claude:error", &payload).await;
        }
    }
}

async fn send<A: Adapter, T: Serialize>(
    io: &SocketIo<A>,
    id: &str,
    event: &'static str,
    payload: &T,
) {
    let Some(root) = io.of("/") else { return };
    if let Err(error) = root.to(format!("process:{id}")).emit(event, payload).await {
        tracing::warn!(process = id, event, %error, "broadcast failed");
    }
}
