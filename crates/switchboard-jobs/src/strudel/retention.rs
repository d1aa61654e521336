//! Rendered audio on disk: files are served only while younger than the
//! retention time, and a background sweep deletes the older ones.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{Inner, StrudelRenderer};

impl StrudelRenderer {
    /// The file behind an `/audio/` name (a WAV or its waveform PNG), if
    /// it exists, is one of ours and has not expired.
    pub fn audio_file(&self, name: &str) -> Option<PathBuf> {
        let stem = name
            .strip_suffix(".wav")
            .or_else(|| name.strip_suffix(".png"))?;
        let hex = stem.strip_prefix("audio_")?;
        if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let path = self.inner.audio_dir.join(name);
        let age = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())?;
        (age <= self.inner.config.audio_retention).then_some(path)
    }
}

/// Sweeps expired files every half retention time (within 200 ms..60 s),
/// for as long as the renderer exists.
pub(super) fn expire_periodically(inner: &Arc<Inner>) {
    let weak = Arc::downgrade(inner);
    let renderer_retention = inner.config.audio_retention;
    tokio::spawn(async move {
        let every =
            (renderer_retention / 2).clamp(Duration::from_millis(200), Duration::from_secs(60));
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let Some(inner) = weak.upgrade() else { break };
            let (dir, retention) = (inner.audio_dir.clone(), inner.config.audio_retention);
            drop(inner);
            let _ = tokio::task::spawn_blocking(move || expire(&dir, retention)).await;
        }
    });
}

/// Deletes rendered files older than `retention`.
fn expire(dir: &Path, retention: Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > retention);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
