//! Tells clients what happens to Strudel renders: each [`RenderEvent`]
//! becomes a `strudel:*` event in the room `process:{id}` on `/`, and the
//! render is a media item (id = the process id, type `audio`) whose
//! progress, completion (with the waveform thumbnail) or failure reaches
//! `/media` subscribers.

use chrono::Utc;
use serde_json::json;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use switchboard_jobs::strudel::{RenderEvent, RenderEventKind};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use switchboard_store::{MediaUpdate, Store};

use crate::media;
use crate::publish::hub;
use crate::wire;

/// Forwards render events until the renderer is gone.
pub fn spawn<A: Adapter>(
    io: SocketIo<A>,
    store: Store,
    mut events: mpsc::Receiver<RenderEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            track_media(&io, &store, &event).await;
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
                        "thumbnailUrl": rendered.thumbnail_url,
                        "mediaId": id,
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

/// Mirrors a render into its media item.
async fn track_media<A: Adapter>(io: &SocketIo<A>, store: &Store, event: &RenderEvent) {
    let id = event.id.as_str();
    let update = match &event.kind {
        RenderEventKind::Validated => {
            if let Err(error) = store.insert_media(id, &event.user_id, "audio", None).await {
                tracing::warn!(render = id, %error, "cannot record the render as media");
            }
            return;
        }
        RenderEventKind::Queued { .. } => return,
        RenderEventKind::Progress { percent } => MediaUpdate::Progress {
            progress: f64::from(*percent),
            stage: "rendering".into(),
            message: None,
        },
        RenderEventKind::Completed(rendered) => MediaUpdate::Complete {
            url: rendered.audio_url.clone(),
            thumbnail_url: Some(rendered.thumbnail_url.clone()),
            metadata: Some(
                json!({"duration": rendered.duration, "sampleRate": rendered.sample_rate, "events": rendered.events, "format": "wav"})
                    .to_string(),
            ),
        },
        RenderEventKind::Failed { code, message } => MediaUpdate::Failed {
            error: message.clone(),
            code: Some(code.as_str().to_owned()),
        },
    };
    match store.update_media(id, &update).await {
        Ok((true, Some(media))) => media::announce_media(io, &media).await,
        Ok(_) => {}
        Err(error) => tracing::warn!(render = id, %error, "cannot update the render's media"),
    }
}
