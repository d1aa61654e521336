//! What the renderer reports: [`RenderEvent`]s, in order per render.

use switchboard_core::{ErrorCode, ProcessId};

use super::Inner;

/// Something that happened to a render, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderEvent {
    /// The render.
    pub id: ProcessId,
    /// Who asked for it.
    pub user_id: String,
    /// What happened.
    pub kind: RenderEventKind,
}

/// The kinds of [`RenderEvent`].
#[derive(Debug, Clone, PartialEq)]
pub enum RenderEventKind {
    /// The code was checked.
    Validated,
    /// Waiting for a slot at this 0-based position.
    Queued {
        /// The position.
        position: usize,
    },
    /// Percent done.
    Progress {
        /// 0..=100.
        percent: u8,
    },
    /// The audio is ready.
    Completed(Box<Rendered>),
    /// The render failed or was cancelled.
    Failed {
        /// Why, as a client code.
        code: ErrorCode,
        /// A human-readable reason.
        message: String,
    },
}

/// A finished render.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Where the WAV is served (`<base>/audio/<id>.wav`, absolute).
    pub audio_url: String,
    /// Its waveform as a PNG (`<base>/audio/<id>.png`).
    pub thumbnail_url: String,
    /// Seconds of audio.
    pub duration: f64,
    /// Frames per second.
    pub sample_rate: u32,
    /// Events that sounded.
    pub events: usize,
    /// Wall time the render took.
    pub render_ms: u64,
    /// Sounds that were not found.
    pub unknown_sounds: Vec<String>,
}

impl Inner {
    /// Reports `kind` to the listener, if it is still there.
    pub(super) async fn emit(&self, id: &ProcessId, kind: RenderEventKind) {
        let events = self
            .events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let user_id = self
            .lock()
            .get(id)
            .map(|entry| entry.user.clone())
            .unwrap_or_default();
        if let Some(events) = events {
            let _ = events
                .send(RenderEvent {
                    id: id.clone(),
                    user_id,
                    kind,
                })
                .await;
        }
    }
}
