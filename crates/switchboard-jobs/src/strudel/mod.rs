//! Strudel renders as jobs: validated on submit, queued under a concurrency
//! limit, rendered on the blocking pool with progress and cancellation, and
//! written as WAV files under an unguessable name that expire after the
//! retention time. What happens is reported as [`RenderEvent`]s.
//!
//! This file holds the renderer handle, its shared state, start and
//! shutdown; the stages of a render live in the submodules.

mod events;
mod job;
mod queue;
mod request;
mod retention;
mod status;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use switchboard_core::ProcessId;
use switchboard_core::config::StrudelConfig;
use switchboard_strudel::synth::SampleBank;
use tokio::sync::mpsc;

pub use events::{RenderEvent, RenderEventKind, Rendered};
pub use request::{AcceptedRender, RenderRefusal, RenderRequest};
pub use status::{RenderLookup, RenderStatus};

use crate::scheduler::{Limits, QueueMove, Scheduler};

/// Renders Strudel code; cheap to clone.
#[derive(Debug, Clone)]
pub struct StrudelRenderer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: StrudelConfig,
    audio_dir: PathBuf,
    bank: Arc<SampleBank>,
    scheduler: Scheduler,
    events: Mutex<Option<mpsc::Sender<RenderEvent>>>,
    entries: Mutex<HashMap<ProcessId, Entry>>,
    finished_order: Mutex<Vec<ProcessId>>,
    shutting_down: AtomicBool,
}

/// What is known of a render, queued, running or finished.
#[derive(Debug)]
struct Entry {
    user: String,
    status: RenderStatus,
    cancel: Arc<AtomicBool>,
}

impl StrudelRenderer {
    /// A renderer writing WAV files into `audio_dir`, reporting on `events`.
    pub fn start(
        config: StrudelConfig,
        audio_dir: PathBuf,
        events: mpsc::Sender<RenderEvent>,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(&audio_dir)?;
        let (moves, moved) = mpsc::unbounded_channel::<QueueMove>();
        let renderer = StrudelRenderer {
            inner: Arc::new(Inner {
                bank: Arc::new(SampleBank::new(config.samples_dir.as_deref())),
                scheduler: Scheduler::new(
                    Limits {
                        global: config.max_concurrent,
                        per_user: config.max_concurrent,
                    },
                    moves,
                ),
                config,
                audio_dir,
                events: Mutex::new(Some(events)),
                entries: Mutex::default(),
                finished_order: Mutex::default(),
                shutting_down: AtomicBool::new(false),
            }),
        };
        queue::report_moves(&renderer.inner, moved);
        retention::expire_periodically(&renderer.inner);
        Ok(renderer)
    }

    /// Renders running and waiting.
    pub fn counts(&self) -> (usize, usize) {
        self.inner.scheduler.counts()
    }

    /// Refuses new renders and cancels running ones; closes the event stream.
    pub async fn shutdown(&self, grace: Duration) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
        for entry in self.inner.lock().values() {
            entry.cancel.store(true, Ordering::SeqCst);
        }
        let deadline = tokio::time::Instant::now() + grace;
        while self.counts() != (0, 0) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.inner
            .events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, HashMap<ProcessId, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_status(&self, id: &ProcessId, status: RenderStatus) {
        if let Some(entry) = self.lock().get_mut(id) {
            entry.status = status;
        }
    }
}
