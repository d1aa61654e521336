//! The Claude runner: accepts runs, queues them behind the concurrency
//! limits, runs the CLI through [`crate::child`], turns its stream into
//! [`ProcessEvent`]s, stops it on cancel, timeout or silence, and stores
//! every transition and the outcome.
//!
//! Each run ends with exactly one `Completed` or `Failed` event, which
//! carries the run's concurrency slot: the next queued run starts only once
//! that event has been stored, published and dropped. Runs keep going when
//! their requester disconnects; only cancel, a limit, or shutdown stops them.
//!
//! This file holds the handle, its shared state, start and shutdown; the
//! stages of a run live in the submodules.

mod cancel;
mod events;
mod execute;
mod lookup;
mod record;
mod submit;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use switchboard_core::config::ClaudeConfig;
use switchboard_core::{ProcessId, ProcessStatus};
use switchboard_store::{Store, StoreError};
use tokio::sync::{mpsc, watch};

pub use cancel::{CancelError, Cancellation};
pub use events::{Finished, ProcessEvent, ProcessEventKind};
pub use lookup::{LookupError, StatusView};
pub use submit::{Accepted, Observed, SubmitError};

use crate::child::{self, Leftover};
use crate::rate_limit::RateLimiter;
use crate::scheduler::{Limits, QueueMove, Scheduler};

/// Runs Claude CLI processes; cheap to clone.
#[derive(Debug, Clone)]
pub struct ClaudeRunner {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ClaudeConfig,
    store: Store,
    scheduler: Scheduler,
    rate_limiter: RateLimiter,
    /// Taken at the end of shutdown, so the listener sees the stream end.
    events: Mutex<Option<mpsc::Sender<ProcessEvent>>>,
    active: Mutex<HashMap<ProcessId, Active>>,
    shutting_down: AtomicBool,
    /// Runs that have not finished yet (pending, queued or running).
    unfinished: watch::Sender<usize>,
}

/// The live state of an unfinished run.
#[derive(Debug)]
struct Active {
    user_id: Arc<str>,
    status: ProcessStatus,
    output: String,
    truncated: bool,
    stop: watch::Sender<Option<StopReason>>,
    /// Another engine following this run (an agent step using the CLI as its model).
    observer: Option<mpsc::UnboundedSender<ProcessEventKind>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopReason {
    Cancelled,
    Shutdown,
}

impl ClaudeRunner {
    /// A runner reporting on `events`; also kills what runs a previous
    /// server left unfinished still had running, then marks them as
    /// interrupted.
    pub async fn start(
        config: ClaudeConfig,
        store: Store,
        rate_limiter: RateLimiter,
        events: mpsc::Sender<ProcessEvent>,
    ) -> Result<Self, StoreError> {
        let mut config = config;
        // A relative path would be resolved from each run's working directory.
        if config.command.components().count() > 1
            && let Ok(absolute) = std::path::absolute(&config.command)
        {
            config.command = absolute;
        }
        kill_leftovers(&store, config.kill_grace).await?;
        let interrupted = store.mark_interrupted(Utc::now()).await?;
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "marked processes of a previous run as interrupted"
            );
        }
        let (moves, mut moved) = mpsc::unbounded_channel::<QueueMove>();
        let scheduler = Scheduler::new(
            Limits {
                global: config.max_concurrent,
                per_user: config.max_per_user,
            },
            moves,
        );
        let runner = ClaudeRunner {
            inner: Arc::new(Inner {
                config,
                store,
                scheduler,
                rate_limiter,
                events: Mutex::new(Some(events)),
                active: Mutex::new(HashMap::new()),
                shutting_down: AtomicBool::new(false),
                unfinished: watch::Sender::new(0),
            }),
        };
        let inner = Arc::downgrade(&runner.inner);
        tokio::spawn(async move {
            while let Some(moved) = moved.recv().await {
                let Some(inner) = inner.upgrade() else { break };
                inner
                    .emit(
                        &moved.id,
                        ProcessEventKind::Queued {
                            position: moved.position,
                        },
                    )
                    .await;
            }
        });
        Ok(runner)
    }

    /// Runs holding a slot and runs waiting for one.
    pub fn counts(&self) -> (usize, usize) {
        self.inner.scheduler.counts()
    }

    /// Refuses new runs, stops the active ones (their process groups get
    /// SIGINT, then SIGKILL) and waits for them to be recorded, at most
    /// `grace`; then closes the event stream.
    pub async fn shutdown(&self, grace: Duration) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
        for active in self.inner.lock().values() {
            active.stop.send_replace(Some(StopReason::Shutdown));
        }
        let mut unfinished = self.inner.unfinished.subscribe();
        let drained = tokio::time::timeout(grace, unfinished.wait_for(|count| *count == 0)).await;
        if drained.is_err() {
            tracing::warn!("claude processes still active after the grace period");
        }
        // Every final event has been queued: end the stream for the listener.
        self.inner
            .events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, HashMap<ProcessId, Active>> {
        // No code panics while holding this lock; recover if one ever does.
        self.active
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Kills the process groups of runs a previous life of this node left
/// running (a crash or `kill -9` skips shutdown, and the CLI and its tools
/// survive it): SIGTERM, up to `grace`, then SIGKILL. Groups whose leader
/// does not match what was recorded (another boot, a reused pid) are left
/// alone; see [`crate::child::kill_leftover_groups`].
async fn kill_leftovers(store: &Store, grace: Duration) -> Result<(), StoreError> {
    let recorded = store.process_groups().await?;
    if recorded.is_empty() {
        return Ok(());
    }
    let groups: Vec<_> = recorded.iter().map(|(_, group)| group.clone()).collect();
    let outcomes = child::kill_leftover_groups(&groups, grace).await;
    for ((process, group), outcome) in recorded.iter().zip(outcomes) {
        let pgid = group.pgid;
        match outcome {
            Leftover::Killed { members, forced } => tracing::warn!(
                %process, pgid, ?members, forced,
                "killed the process group a previous run of the server left behind"
            ),
            Leftover::Survived { members } => tracing::error!(
                %process, pgid, ?members,
                "the process group a previous run of the server left behind survived SIGKILL"
            ),
            Leftover::Reused => tracing::info!(
                %process, pgid,
                "recorded process group id now belongs to another process; left alone"
            ),
            Leftover::OtherBoot | Leftover::Gone => {
                tracing::debug!(%process, pgid, ?outcome, "recorded process group no longer running");
            }
        }
    }
    Ok(())
}

/// Resolves with the stop reason once one is set.
async fn stop_requested(stopped: &mut watch::Receiver<Option<StopReason>>) -> Option<StopReason> {
    stopped
        .wait_for(Option::is_some)
        .await
        .ok()
        .and_then(|reason| *reason)
}

#[cfg(test)]
mod tests;
