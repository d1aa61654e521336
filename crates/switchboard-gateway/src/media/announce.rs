//! A media item's state as the `/media` event its subscribers receive.

use serde_json::{Value as Json, json};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use switchboard_store::{Media, MediaStatus};

use crate::publish::hub;

/// The `mediaProgress` / `mediaComplete` / `mediaError` event for an item's state.
pub fn media_event(media: &Media) -> (&'static str, Json) {
    let metadata = media
        .metadata
        .as_deref()
        .and_then(|m| serde_json::from_str::<Json>(m).ok());
    match media.status {
        MediaStatus::Complete => {
            let mut payload = json!({"mediaId": media.id, "url": media.url});
            if let Some(thumbnail) = &media.thumbnail_url {
                payload["thumbnailUrl"] = json!(thumbnail);
            }
            if let Some(metadata) = metadata {
                payload["metadata"] = metadata;
            }
            ("mediaComplete", payload)
        }
        MediaStatus::Failed => {
            let mut payload = json!({"mediaId": media.id, "error": media.error});
            if let Some(code) = &media.error_code {
                payload["code"] = json!(code);
            }
            ("mediaError", payload)
        }
        MediaStatus::Pending | MediaStatus::Processing => {
            let mut payload = json!({
                "mediaId": media.id,
                "progress": media.progress,
                "stage": media.stage.clone().unwrap_or_else(|| "pending".into()),
            });
            if let Some(message) = &media.message {
                payload["message"] = json!(message);
            }
            ("mediaProgress", payload)
        }
    }
}

/// Announces an item's new state to its subscribers on `/media`.
pub async fn announce_media<A: Adapter>(io: &SocketIo<A>, media: &Media) {
    let Some(namespace) = io.of("/media") else {
        return;
    };
    let (event, payload) = media_event(media);
    hub::broadcast(namespace.to(format!("media:{}", media.id)), event, &payload).await;
}
