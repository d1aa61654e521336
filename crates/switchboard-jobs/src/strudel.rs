//! Strudel renders as jobs: validated on submit, queued under a concurrency
//! limit, rendered on the blocking pool with progress and cancellation, and
//! written as WAV files under an unguessable name that expire after the
//! retention time. What happens is reported as [`RenderEvent`]s.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use switchboard_core::config::StrudelConfig;
use switchboard_core::process::random_id;
use switchboard_core::{ErrorCode, ProcessId};
use switchboard_strudel::render::{RenderError, RenderOptions, render, wav};
use switchboard_strudel::synth::SampleBank;
use switchboard_strudel::waveform::waveform_png;
use switchboard_strudel::{Program, ScriptError};
use tokio::sync::mpsc;

use crate::scheduler::{Admission, Limits, QueueMove, Scheduler};

/// Finished renders remembered for `strudel:status`.
const REMEMBERED: usize = 1000;

/// What a client asks to render.
#[derive(Debug, Clone)]
pub struct RenderRequest {
    /// Strudel code.
    pub code: String,
    /// Seconds (default 10).
    pub duration: Option<f64>,
    /// Frames per second (default 44100).
    pub sample_rate: Option<u32>,
    /// Only `wav` is produced.
    pub format: Option<String>,
}

/// Why a render was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderRefusal {
    /// The code does not parse or evaluate.
    #[error("{0}")]
    Code(ScriptError),
    /// An option is out of bounds.
    #[error("{0}")]
    Options(String),
    /// The server is shutting down.
    #[error("The server is shutting down")]
    ShuttingDown,
}

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
    /// Where the WAV is served (`/audio/<id>.wav`).
    pub audio_url: String,
    /// Its waveform as a PNG (`/audio/<id>.png`).
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

/// Where a render is.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderStatus {
    /// Waiting for a slot.
    Queued(Option<usize>),
    /// Rendering, percent done.
    Running(u8),
    /// Done.
    Completed(Box<Rendered>),
    /// Failed.
    Failed(ErrorCode, String),
}

/// Why a lookup failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RenderLookup {
    /// No such render.
    #[error("Process not found")]
    NotFound,
    /// Someone else's.
    #[error("Access denied")]
    AccessDenied,
    /// Already over.
    #[error("Process already finished")]
    Finished,
}

/// A render accepted by [`StrudelRenderer::submit`], not yet started.
#[derive(Debug)]
pub struct AcceptedRender {
    /// Its id.
    pub id: ProcessId,
    program: Program,
    options: RenderOptions,
}

#[derive(Debug)]
struct Entry {
    user: String,
    status: RenderStatus,
    cancel: Arc<AtomicBool>,
}

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

impl StrudelRenderer {
    /// A renderer writing WAV files into `audio_dir`, reporting on `events`.
    pub fn start(
        config: StrudelConfig,
        audio_dir: PathBuf,
        events: mpsc::Sender<RenderEvent>,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(&audio_dir)?;
        let (moves, mut moved) = mpsc::unbounded_channel::<QueueMove>();
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
        let weak = Arc::downgrade(&renderer.inner);
        tokio::spawn(async move {
            while let Some(moved) = moved.recv().await {
                let Some(inner) = weak.upgrade() else { break };
                inner
                    .emit(
                        &moved.id,
                        RenderEventKind::Queued {
                            position: moved.position,
                        },
                    )
                    .await;
            }
        });
        let weak = Arc::downgrade(&renderer.inner);
        let renderer_retention = renderer.inner.config.audio_retention;
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
        Ok(renderer)
    }

    /// Checks code, returning every error with its position.
    pub fn validate(code: &str) -> Result<Program, ScriptError> {
        switchboard_strudel::evaluate(code)
    }

    /// Validates a request and accepts it. Call [`StrudelRenderer::run`]
    /// once the requester knows the id.
    pub fn submit(
        &self,
        user: &str,
        request: RenderRequest,
    ) -> Result<AcceptedRender, RenderRefusal> {
        let inner = &self.inner;
        if inner.shutting_down.load(Ordering::SeqCst) {
            return Err(RenderRefusal::ShuttingDown);
        }
        let limits = &inner.config;
        let duration = request.duration.unwrap_or(10.0);
        if !(duration.is_finite() && duration > 0.0 && duration <= limits.max_duration_s) {
            return Err(RenderRefusal::Options(format!(
                "duration must be more than 0 and at most {} seconds",
                limits.max_duration_s
            )));
        }
        let sample_rate = request.sample_rate.unwrap_or(44_100);
        if !(8_000..=limits.max_sample_rate).contains(&sample_rate) {
            return Err(RenderRefusal::Options(format!(
                "sampleRate must be 8000..={}",
                limits.max_sample_rate
            )));
        }
        if let Some(format) = &request.format
            && !format.eq_ignore_ascii_case("wav")
        {
            return Err(RenderRefusal::Options("format must be wav".into()));
        }
        let program = Self::validate(&request.code).map_err(RenderRefusal::Code)?;
        let id = ProcessId::generate();
        inner.lock().insert(
            id.clone(),
            Entry {
                user: user.to_owned(),
                status: RenderStatus::Queued(None),
                cancel: Arc::new(AtomicBool::new(false)),
            },
        );
        Ok(AcceptedRender {
            id,
            program,
            options: RenderOptions {
                duration,
                sample_rate,
                max_events: limits.max_events,
            },
        })
    }

    /// Renders an accepted request in the background.
    pub fn run(&self, accepted: AcceptedRender) {
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let AcceptedRender {
                id,
                program,
                options,
            } = accepted;
            inner.emit(&id, RenderEventKind::Validated).await;
            let Some((user, cancel)) = inner
                .lock()
                .get(&id)
                .map(|entry| (entry.user.clone(), entry.cancel.clone()))
            else {
                return;
            };
            let _slot = match inner.scheduler.admit(id.clone(), &user) {
                Admission::Started(slot) => slot,
                Admission::Queued { mut ticket, .. } => {
                    let slot = loop {
                        tokio::select! {
                            slot = ticket.slot() => break slot,
                            () = tokio::time::sleep(Duration::from_millis(20)) => {
                                if cancel.load(Ordering::SeqCst) {
                                    break None;
                                }
                            }
                        }
                    };
                    match slot {
                        Some(slot) => slot,
                        None => {
                            let kind = RenderEventKind::Failed {
                                code: ErrorCode::Cancelled,
                                message: "Render cancelled".into(),
                            };
                            return inner.finish(&id, kind).await;
                        }
                    }
                }
            };
            inner.set_status(&id, RenderStatus::Running(0));
            let kind = inner.render(&id, program, options, cancel).await;
            inner.finish(&id, kind).await;
        });
    }

    /// A render's status, for its owner.
    pub fn status(&self, user: &str, id: &str) -> Result<RenderStatus, RenderLookup> {
        let id = ProcessId::from_raw(id);
        let entries = self.inner.lock();
        let entry = entries.get(&id).ok_or(RenderLookup::NotFound)?;
        if entry.user != user {
            return Err(RenderLookup::AccessDenied);
        }
        Ok(match &entry.status {
            RenderStatus::Queued(_) => RenderStatus::Queued(self.inner.scheduler.position(&id)),
            other => other.clone(),
        })
    }

    /// Cancels the owner's queued or running render (within one progress step).
    pub fn cancel(&self, user: &str, id: &str) -> Result<(), RenderLookup> {
        let id = ProcessId::from_raw(id);
        let entries = self.inner.lock();
        let entry = entries.get(&id).ok_or(RenderLookup::NotFound)?;
        if entry.user != user {
            return Err(RenderLookup::AccessDenied);
        }
        if matches!(
            entry.status,
            RenderStatus::Completed(_) | RenderStatus::Failed(..)
        ) {
            return Err(RenderLookup::Finished);
        }
        entry.cancel.store(true, Ordering::SeqCst);
        Ok(())
    }

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

    async fn emit(&self, id: &ProcessId, kind: RenderEventKind) {
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

    async fn render(
        self: &Arc<Self>,
        id: &ProcessId,
        program: Program,
        options: RenderOptions,
        cancel: Arc<AtomicBool>,
    ) -> RenderEventKind {
        let started = std::time::Instant::now();
        let (progress_tx, mut progress_rx) = mpsc::unbounded_channel::<u8>();
        let bank = self.bank.clone();
        let job = tokio::task::spawn_blocking(move || {
            let mut last = None;
            render(&program, &options, &bank, |percent| {
                // At least every 5 %: every crossing of a multiple of 5 is reported.
                let step = percent / 5;
                if last != Some(step) {
                    last = Some(step);
                    let _ = progress_tx.send(percent);
                }
                !cancel.load(Ordering::SeqCst)
            })
            .map(|audio| ((wav(&audio), waveform_png(&audio)), audio))
        });
        tokio::pin!(job);
        let result = loop {
            tokio::select! {
                Some(percent) = progress_rx.recv() => {
                    self.set_status(id, RenderStatus::Running(percent));
                    self.emit(id, RenderEventKind::Progress { percent }).await;
                }
                result = &mut job => break result,
            }
        };
        let failed = |code, message: String| RenderEventKind::Failed { code, message };
        match result {
            Ok(Ok(((bytes, picture), audio))) => {
                let name = random_id("audio");
                let written = async {
                    tokio::fs::write(self.audio_dir.join(format!("{name}.wav")), bytes).await?;
                    tokio::fs::write(self.audio_dir.join(format!("{name}.png")), picture).await
                };
                if let Err(error) = written.await {
                    tracing::error!(render = %id, %error, "cannot write rendered audio");
                    return failed(ErrorCode::Internal, "Cannot store the audio".into());
                }
                RenderEventKind::Completed(Box::new(Rendered {
                    audio_url: format!("/audio/{name}.wav"),
                    thumbnail_url: format!("/audio/{name}.png"),
                    duration: options.duration,
                    sample_rate: options.sample_rate,
                    events: audio.events,
                    render_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    unknown_sounds: audio.unknown_sounds,
                }))
            }
            Ok(Err(RenderError::Cancelled)) => {
                failed(ErrorCode::Cancelled, "Render cancelled".into())
            }
            Ok(Err(error)) => failed(ErrorCode::ExecutionError, error.to_string()),
            Err(error) => {
                tracing::error!(render = %id, %error, "render task failed");
                failed(ErrorCode::Internal, "The render failed".into())
            }
        }
    }

    async fn finish(&self, id: &ProcessId, kind: RenderEventKind) {
        let status = match &kind {
            RenderEventKind::Completed(rendered) => RenderStatus::Completed(rendered.clone()),
            RenderEventKind::Failed { code, message } => {
                RenderStatus::Failed(*code, message.clone())
            }
            _ => return,
        };
        self.set_status(id, status);
        tracing::info!(render = %id, "strudel render finished");
        {
            let mut order = self
                .finished_order
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            order.push(id.clone());
            if order.len() > REMEMBERED {
                let old = order.remove(0);
                self.lock().remove(&old);
            }
        }
        self.emit(id, kind).await;
    }
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
