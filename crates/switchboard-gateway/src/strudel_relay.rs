//! Tells clients what happens to Strudel renders: each [`RenderEvent`]
//! becomes a `strudel:*` event in the room `process:{id}` on `/`.

use chrono::Utc;
use serde_json::json;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use switchboard_jobs::strudel::{RenderEvent, RenderEventKind};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::hub;
use crate::wire;

/// Forwards render events until the renderer is gone.
pub fn spawn<A: Adapter>(
    io: SocketIo<A>,
    mut events: mpsc::Receiver<RenderEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            let id = event.id.as_str();
            let timestamp = wire::iso(Utc::now());
            let (name, payload) = match &event.kind {
                RenderEventKind::Validated => (
                    "strudel:validated",
                    json!({"processId": id, "success": true, "timestamp": timestamp}),
                ),
                RenderEventKind::Queued { position } => (
                    "strudel:queued",
                    json!({"processId": id, "queuePosition": position, "timestamp": timestamp}),
                ),
                RenderEventKind::Progress { percent } => (
                    "strudel:progress",
                    json!({"processId": id, "progress": percent, "timestamp": timestamp}),
                ),
                RenderEventKind::Completed(rendered) => (
                    "strudel:complete",
                    json!({
                        "processId": id,
                        "audioUrl": rendered.audio_url,
                        "durationMs": (rendered.duration * 1000.0).round() as u64,
                        "duration": rendered.duration,
                        "sampleRate": rendered.sample_rate,
                        "format": "wav",
                        "events": rendered.events,
                        "renderMs": rendered.render_ms,
                        "unknownSounds": rendered.unknown_sounds,
                        "timestamp": timestamp,
                    }),
                ),
                RenderEventKind::Failed { code, message } => (
                    "strudel:error",
                    json!({"processId": id, "code": code, "message": message, "error": message, "timestamp": timestamp}),
                ),
            };
            let Some(root) = io.of("/") else { continue };
            let room = format!("process:{id}");
            hub::broadcast(root.clone().to(room.clone()), name, &payload).await;
            if matches!(
                event.kind,
                RenderEventKind::Completed(_) | RenderEventKind::Failed { .. }
            ) && let Err(error) = root.to(room.clone()).leave(room).await
            {
                tracing::debug!(render = id, %error, "cannot empty the render room");
            }
        }
    })
}
