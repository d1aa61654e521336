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

use super::wire;
use crate::publish::hub;

/// Forwards runner events until the runner is gone. Chunks of one process
/// that are already waiting are sent as one `claude:progress`, so a fast
/// stream costs fewer packets; the order of events never changes.
pub fn spawn<A: Adapter>(
    io: SocketIo<A>,
    mut events: mpsc::Receiver<ProcessEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut next = None;
        loop {
            let event = match next.take() {
                Some(event) => Some(event),
                None => events.recv().await,
            };
            let Some(mut event) = event else { break };
            if let ProcessEventKind::Output { chunk } = &mut event.kind {
                while let Ok(following) = events.try_recv() {
                    match following.kind {
                        ProcessEventKind::Output { chunk: more } if following.id == event.id => {
                            chunk.push_str(&more);
                        }
                        kind => {
                            next = Some(ProcessEvent {
                                id: following.id,
                                kind,
                            });
                            break;
                        }
                    }
                }
            }
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
            close_room(io, id).await;
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
            close_room(io, id).await;
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
    hub::broadcast(root.to(format!("process:{id}")), event, payload).await;
}

/// Nothing more happens in a finished process's room: empty it, so it does
/// not count against its members' room limit.
async fn close_room<A: Adapter>(io: &SocketIo<A>, id: &str) {
    let Some(root) = io.of("/") else { return };
    let room = format!("process:{id}");
    if let Err(error) = root.to(room.clone()).leave(room).await {
        tracing::debug!(process = id, %error, "cannot empty the process room");
    }
}
