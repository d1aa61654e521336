//! Tells clients what happens to processes: each [`ProcessEvent`] from the
//! runner becomes a `claude:*` event for the rooms `process:{id}` and
//! `user:{userId}` on `/`, in the order the runner produced them.

use std::collections::HashMap;

use chrono::Utc;
use serde::Serialize;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use switchboard_core::ProcessId;
use switchboard_jobs::claude::{ProcessEvent, ProcessEventKind};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::wire;
use crate::publish::hub;

/// Text length at which a run's progress estimate reaches half (49).
const HALF_PROGRESS_BYTES: u64 = 2000;

/// Forwards runner events until the runner is gone. Chunks of one process
/// that are already waiting are sent as one `claude:progress`, so a fast
/// stream costs fewer packets; the order of events never changes.
pub fn spawn<A: Adapter>(
    io: SocketIo<A>,
    mut events: mpsc::Receiver<ProcessEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut streamed = Streamed::default();
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
                            next = Some(ProcessEvent { kind, ..following });
                            break;
                        }
                    }
                }
            }
            forward(&io, &event, &mut streamed).await;
        }
    })
}

/// Text streamed so far by each running process, for its progress estimate.
#[derive(Default)]
struct Streamed(HashMap<ProcessId, u64>);

impl Streamed {
    /// Adds `bytes` to the run's text and estimates its progress: 0..=99,
    /// growing with the text and approaching (never reaching) 99, since
    /// the length of an answer is not known in advance.
    fn add(&mut self, id: &ProcessId, bytes: usize) -> u8 {
        let total = self.0.entry(id.clone()).or_default();
        *total = total.saturating_add(u64::try_from(bytes).unwrap_or(u64::MAX));
        progress_of(*total)
    }

    fn end(&mut self, id: &ProcessId) {
        self.0.remove(id);
    }
}

/// The progress estimate for a run that has streamed `bytes` of text.
fn progress_of(bytes: u64) -> u8 {
    let estimate = u128::from(bytes) * 99 / (u128::from(bytes) + u128::from(HALF_PROGRESS_BYTES));
    u8::try_from(estimate.min(99)).unwrap_or(99)
}

async fn forward<A: Adapter>(io: &SocketIo<A>, event: &ProcessEvent, streamed: &mut Streamed) {
    let id = event.id.as_str();
    let rooms = Rooms {
        process: id,
        user: &event.user_id,
    };
    let timestamp = wire::iso(Utc::now());
    match &event.kind {
        ProcessEventKind::Queued { position } => {
            let payload = wire::ClaudeQueued {
                process_id: id,
                queue_position: *position,
                message: format!("Queue position: {position}"),
                timestamp,
            };
            rooms.send(io, "claude:queued", &payload).await;
        }
        ProcessEventKind::Started => {
            let payload = wire::ClaudeProgress {
                process_id: id,
                status: "running",
                message: Some("Process started"),
                data: "",
                output: "",
                progress: streamed.add(&event.id, 0),
                timestamp,
            };
            rooms.send(io, "claude:progress", &payload).await;
        }
        ProcessEventKind::Output { chunk } => {
            let payload = wire::ClaudeProgress {
                process_id: id,
                status: "running",
                message: None,
                data: chunk,
                output: chunk,
                progress: streamed.add(&event.id, chunk.len()),
                timestamp,
            };
            rooms.send(io, "claude:progress", &payload).await;
        }
        ProcessEventKind::Completed(finished) => {
            streamed.end(&event.id);
            let result =
                wire::ProcessResult::new(id, &finished.user_id, finished.status, &finished.outcome);
            let payload = wire::ClaudeComplete {
                process_id: id,
                duration_ms: result.duration_ms,
                output: &finished.outcome.output,
                result,
                timestamp,
            };
            rooms.send(io, "claude:complete", &payload).await;
            close_room(io, id).await;
        }
        ProcessEventKind::Failed { code, message, .. } => {
            streamed.end(&event.id);
            let payload = wire::ClaudeError {
                process_id: Some(id),
                code: *code,
                message,
                retry_after: None,
                timestamp,
            };
            rooms.send(io, "claude:error", &payload).await;
            close_room(io, id).await;
        }
    }
}

/// Where a run's events go: its process room and its user's room.
struct Rooms<'a> {
    process: &'a str,
    user: &'a str,
}

impl Rooms<'_> {
    /// One broadcast to both rooms: a socket in both gets the event once,
    /// and the user's sockets get it without knowing the process room
    /// (a client that reconnected is in `user:{userId}` again at sign-in).
    async fn send<A: Adapter, T: Serialize>(
        &self,
        io: &SocketIo<A>,
        event: &'static str,
        payload: &T,
    ) {
        let Some(root) = io.of("/") else { return };
        let rooms = [
            format!("process:{}", self.process),
            format!("user:{}", self.user),
        ];
        hub::broadcast(root.to(rooms), event, payload).await;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_starts_at_zero_grows_and_stays_below_100() {
        assert_eq!(progress_of(0), 0);
        let mut last = 0;
        for bytes in [1, 10, 100, 1000, 2000, 10_000, 1_000_000, u64::MAX] {
            let progress = progress_of(bytes);
            assert!(progress >= last && progress <= 99, "{bytes}: {progress}");
            last = progress;
        }
        assert_eq!(progress_of(HALF_PROGRESS_BYTES), 49);
    }
}
