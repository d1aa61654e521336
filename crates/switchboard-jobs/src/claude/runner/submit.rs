//! Submission and admission: a request is validated, rate-limited and
//! stored, then its run waits for a concurrency slot, executes, and is
//! finished with the slot still held (see [`super::events::Finished`]).

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use switchboard_core::{ErrorCode, Identity, ProcessId, ProcessStatus};
use switchboard_store::{NewProcess, Outcome, StoreError};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until};

use super::execute::{Ending, failed, stopped_ending};
use super::{
    Active, Cancellation, ClaudeRunner, Inner, ProcessEventKind, StopReason, stop_requested,
};
use crate::claude::request::{ExecuteRequest, InvalidRequest, ValidRequest};
use crate::rate_limit::Decision;
use crate::scheduler::{Admission, Slot};

/// A run accepted by [`ClaudeRunner::submit`], not yet started.
#[derive(Debug)]
pub struct Accepted {
    /// The new process.
    pub id: ProcessId,
    /// The rate limit could not be checked (Redis unreachable).
    pub rate_limit_failed_open: bool,
    valid: ValidRequest,
    user_id: String,
    stopped: watch::Receiver<Option<StopReason>>,
}

/// Why a run was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The request is malformed or out of bounds.
    #[error(transparent)]
    Invalid(#[from] InvalidRequest),
    /// Too many executes in the window.
    #[error("Rate limit exceeded: at most {limit} executes per minute")]
    RateLimited {
        /// The configured limit.
        limit: u32,
        /// When the window resets.
        retry_after: Duration,
    },
    /// The CLI is not installed.
    #[error("Claude CLI is not available: {0}")]
    Unavailable(String),
    /// The server is shutting down.
    #[error("The server is shutting down")]
    ShuttingDown,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A run followed by its starter: its events, and the handle that stops it.
#[derive(Debug)]
pub struct Observed {
    /// The run's events, ending after `Completed` or `Failed`.
    pub events: mpsc::UnboundedReceiver<ProcessEventKind>,
    /// Stops the run (e.g. when the follower goes away).
    pub cancellation: Cancellation,
}

impl ClaudeRunner {
    /// Validates, rate-limits and stores a run. Call [`ClaudeRunner::run`]
    /// once the requester knows the id, so no event precedes the answer.
    pub async fn submit(
        &self,
        identity: &Identity,
        request: ExecuteRequest,
    ) -> Result<Accepted, SubmitError> {
        let inner = &self.inner;
        if inner.shutting_down.load(Ordering::SeqCst) {
            return Err(SubmitError::ShuttingDown);
        }
        let valid = request.validate(&inner.config)?;
        ensure_installed(&inner.config.command)?;
        let rate_limit_failed_open = match inner.rate_limiter.check(&identity.user_id).await {
            Decision::Allowed => false,
            Decision::FailedOpen => true,
            Decision::Denied { retry_after } => {
                return Err(SubmitError::RateLimited {
                    limit: inner.config.rate_limit,
                    retry_after,
                });
            }
        };
        let id = ProcessId::generate();
        let new = NewProcess {
            id: id.clone(),
            user_id: identity.user_id.clone(),
            prompt: valid.request.prompt.clone(),
            system_prompt: valid.request.system_prompt.clone(),
            model: valid.request.model.clone(),
            max_tokens: valid.request.max_tokens,
            working_directory: valid.cwd.display().to_string(),
            timeout_ms: u64::try_from(valid.timeout.as_millis()).unwrap_or(u64::MAX),
            created_at: Utc::now(),
        };
        inner
            .store
            .insert_process(&new, ProcessStatus::Pending)
            .await?;
        let (stop, stopped) = watch::channel(None);
        inner.lock().insert(
            id.clone(),
            Active {
                user_id: identity.user_id.as_str().into(),
                status: ProcessStatus::Pending,
                output: String::new(),
                truncated: false,
                stop,
                observer: None,
            },
        );
        inner.unfinished.send_modify(|count| *count += 1);
        tracing::info!(process = %id, user = %identity.user_id, "claude process accepted");
        Ok(Accepted {
            id,
            rate_limit_failed_open,
            valid,
            user_id: identity.user_id.clone(),
            stopped,
        })
    }

    /// Starts an accepted run in the background.
    pub fn run(&self, accepted: Accepted) {
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let Accepted {
                id,
                valid,
                user_id,
                mut stopped,
                ..
            } = accepted;
            // The slot outlives the CLI: it goes into the final event.
            let (ending, slot) = match inner.admit(&id, &user_id, &mut stopped).await {
                Ok(slot) => (inner.execute(&id, valid, stopped).await, Some(slot)),
                Err(ending) => (ending, None),
            };
            inner.finish(&id, &user_id, ending, slot).await;
        });
    }

    /// Starts an accepted run whose events also go to the returned receiver,
    /// for engines that use the CLI as a building block.
    pub fn run_observed(&self, accepted: Accepted) -> Observed {
        let (observer, events) = mpsc::unbounded_channel();
        if let Some(active) = self.inner.lock().get_mut(&accepted.id) {
            active.observer = Some(observer);
        }
        let cancellation = Cancellation {
            inner: self.inner.clone(),
            id: accepted.id.clone(),
        };
        self.run(accepted);
        Observed {
            events,
            cancellation,
        }
    }
}

impl Inner {
    /// Takes a slot, waiting in the queue if need be; or says how the run
    /// ended while it waited.
    async fn admit(
        &self,
        id: &ProcessId,
        user_id: &str,
        stopped: &mut watch::Receiver<Option<StopReason>>,
    ) -> Result<Slot, Ending> {
        let outcome = Outcome::default();
        match self.scheduler.admit(id.clone(), user_id) {
            Admission::Started(slot) => Ok(slot),
            // The scheduler has announced the position on its moves channel.
            Admission::Queued { mut ticket, .. } => {
                self.transition(id, ProcessStatus::Queued).await;
                let deadline = Instant::now() + self.config.queue_timeout;
                tokio::select! {
                    slot = ticket.slot() => match slot {
                        Some(slot) => Ok(slot),
                        None => Err(failed(ErrorCode::Internal, "scheduler closed", outcome)),
                    },
                    () = sleep_until(deadline) => {
                        Err((ProcessStatus::Timeout, Some(ErrorCode::QueueTimeout),
                            Some("Timed out waiting in the queue".into()), outcome))
                    }
                    reason = stop_requested(stopped) => Err(stopped_ending(reason, outcome)),
                }
            }
        }
    }
}

fn ensure_installed(command: &Path) -> Result<(), SubmitError> {
    let found = if command.components().count() > 1 {
        is_executable(command)
    } else {
        std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).any(|dir| is_executable(&dir.join(command))))
            .unwrap_or(false)
    };
    if found {
        Ok(())
    } else {
        Err(SubmitError::Unavailable(format!(
            "{} is not installed or not executable",
            command.display()
        )))
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}
