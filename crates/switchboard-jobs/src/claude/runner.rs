//! The Claude runner: accepts runs, queues them behind the concurrency
//! limits, runs the CLI through [`crate::child`], turns its stream into
//! [`ProcessEvent`]s, stops it on cancel, timeout or silence, and stores
//! every transition and the outcome.
//!
//! Each run ends with exactly one `Completed` or `Failed` event. Runs keep
//! going when their requester disconnects; only cancel, a limit, or
//! shutdown stops them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use nix::sys::signal::Signal;
use switchboard_core::config::ClaudeConfig;
use switchboard_core::{ErrorCode, Identity, ProcessId, ProcessStatus};
use switchboard_store::{NewProcess, Outcome, ProcessRecord, Store, StoreError};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until};

use super::request::{ExecuteRequest, InvalidRequest, ValidRequest};
use super::stream::{ResultLine, StreamItem, TextAssembler, parse_line};
use crate::child::{self, Line, SpawnError};
use crate::rate_limit::{Decision, RateLimiter};
use crate::scheduler::{Admission, Limits, QueueMove, Scheduler, Slot};

/// Raw stdout kept per process for the result's `stdout`.
const STDOUT_CAP: usize = 1024 * 1024;
/// Text output kept per process (status, result, record); chunks beyond it
/// still stream to clients.
const MAX_OUTPUT_BYTES: usize = 8 * 1024 * 1024;
/// How long a run gets to stop at shutdown before SIGKILL.
const SHUTDOWN_KILL_GRACE: Duration = Duration::from_millis(500);

/// Something that happened to a process, in order.
#[derive(Debug, Clone)]
pub struct ProcessEvent {
    /// The process.
    pub id: ProcessId,
    /// What happened.
    pub kind: ProcessEventKind,
}

/// The kinds of [`ProcessEvent`].
#[derive(Debug, Clone)]
pub enum ProcessEventKind {
    /// Waiting for a slot at this 0-based position (on entry and on change).
    Queued {
        /// The position.
        position: usize,
    },
    /// The CLI started.
    Started,
    /// A chunk of text arrived.
    Output {
        /// The new text.
        chunk: String,
    },
    /// The run succeeded.
    Completed(Box<Finished>),
    /// The run failed, timed out or was cancelled.
    Failed {
        /// Why.
        code: ErrorCode,
        /// A human-readable reason.
        message: String,
        /// The stored outcome.
        finished: Box<Finished>,
    },
}

/// A run's final record.
#[derive(Debug, Clone)]
pub struct Finished {
    /// Who ran it.
    pub user_id: String,
    /// Its final status.
    pub status: ProcessStatus,
    /// What it produced.
    pub outcome: Outcome,
}

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

/// Why a process could not be looked up.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// No such process.
    #[error("Process not found")]
    NotFound,
    /// Someone else's process.
    #[error("Access denied")]
    AccessDenied,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a process could not be cancelled.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    /// Not found or not the caller's.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// Already finished.
    #[error("Process is not running (status: {})", .0.as_str())]
    Finished(ProcessStatus),
}

/// A permitted cancel, not yet carried out.
#[derive(Debug)]
pub struct Cancellation {
    inner: Arc<Inner>,
    id: ProcessId,
}

impl Cancellation {
    /// Stops the process: out of the queue, or its process group signalled.
    pub fn fire(self) {
        if let Some(active) = self.inner.lock().get(&self.id) {
            active.stop.send_replace(Some(StopReason::Cancelled));
            tracing::info!(process = %self.id, "cancel requested");
        }
    }
}

/// What `claude:status` reports.
#[derive(Debug, Clone)]
pub struct StatusView {
    /// The current status.
    pub status: ProcessStatus,
    /// The queue position, while queued.
    pub queue_position: Option<usize>,
    /// All text so far.
    pub output: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopReason {
    Cancelled,
    Shutdown,
}

#[derive(Debug)]
struct Active {
    user_id: String,
    status: ProcessStatus,
    output: String,
    truncated: bool,
    stop: watch::Sender<Option<StopReason>>,
    /// Another engine following this run (an agent step using the CLI as its model).
    observer: Option<mpsc::UnboundedSender<ProcessEventKind>>,
}

/// A run followed by its starter: its events, and the handle that stops it.
#[derive(Debug)]
pub struct Observed {
    /// The run's events, ending after `Completed` or `Failed`.
    pub events: mpsc::UnboundedReceiver<ProcessEventKind>,
    /// Stops the run (e.g. when the follower goes away).
    pub cancellation: Cancellation,
}

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

impl ClaudeRunner {
    /// A runner reporting on `events`; also marks runs a previous server
    /// left unfinished as interrupted.
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
                user_id: identity.user_id.clone(),
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
                stopped,
                ..
            } = accepted;
            let (status, code, message, outcome) = inner.drive(&id, &user_id, valid, stopped).await;
            inner
                .finish(&id, &user_id, status, code, message, outcome)
                .await;
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

    /// The status of one of the caller's processes, with all output so far.
    pub async fn status(&self, identity: &Identity, id: &str) -> Result<StatusView, LookupError> {
        let id = ProcessId::from_raw(id);
        let live = self
            .inner
            .lock()
            .get(&id)
            .map(|active| (active.user_id.clone(), active.status, active.output.clone()));
        if let Some((owner, status, output)) = live {
            if owner != identity.user_id {
                return Err(LookupError::AccessDenied);
            }
            let queue_position = (status == ProcessStatus::Queued)
                .then(|| self.inner.scheduler.position(&id))
                .flatten();
            return Ok(StatusView {
                status,
                queue_position,
                output,
            });
        }
        let record = self.record(identity, id.as_str()).await?;
        Ok(StatusView {
            status: record.status,
            queue_position: None,
            output: record
                .outcome
                .map(|outcome| outcome.output)
                .unwrap_or_default(),
        })
    }

    /// Checks that the caller may cancel a queued or running process and
    /// returns the handle that does it, so the caller can answer first.
    pub async fn cancel(&self, identity: &Identity, id: &str) -> Result<Cancellation, CancelError> {
        let id = ProcessId::from_raw(id);
        let owner = self
            .inner
            .lock()
            .get(&id)
            .map(|active| active.user_id.clone());
        match owner {
            Some(owner) if owner == identity.user_id => Ok(Cancellation {
                inner: self.inner.clone(),
                id,
            }),
            Some(_) => Err(LookupError::AccessDenied.into()),
            None => {
                let record = self.record(identity, id.as_str()).await?;
                Err(CancelError::Finished(record.status))
            }
        }
    }

    /// A stored process of the caller.
    pub async fn record(
        &self,
        identity: &Identity,
        id: &str,
    ) -> Result<ProcessRecord, LookupError> {
        let record = self
            .inner
            .store
            .get_process(id)
            .await?
            .ok_or(LookupError::NotFound)?;
        if record.request.user_id != identity.user_id {
            return Err(LookupError::AccessDenied);
        }
        Ok(record)
    }

    /// The caller's newest processes.
    pub async fn list(
        &self,
        identity: &Identity,
        limit: u32,
    ) -> Result<Vec<ProcessRecord>, StoreError> {
        self.inner
            .store
            .list_processes(&identity.user_id, limit)
            .await
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

/// How a run ended, before it is stored.
type Ending = (ProcessStatus, Option<ErrorCode>, Option<String>, Outcome);

impl Inner {
    fn lock(&self) -> MutexGuard<'_, HashMap<ProcessId, Active>> {
        // No code panics while holding this lock; recover if one ever does.
        self.active
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn emit(&self, id: &ProcessId, kind: ProcessEventKind) {
        if let Some(observer) = self
            .lock()
            .get(id)
            .and_then(|active| active.observer.as_ref())
        {
            let _ = observer.send(kind.clone());
        }
        let event = ProcessEvent {
            id: id.clone(),
            kind,
        };
        let events = self
            .events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let Some(events) = events else { return };
        if events.send(event).await.is_err() {
            tracing::debug!(process = %id, "no listener for process events");
        }
    }

    /// Keeps a chunk in the run's output, up to [`MAX_OUTPUT_BYTES`].
    fn append_output(&self, id: &ProcessId, chunk: &str) {
        if let Some(active) = self.lock().get_mut(id) {
            let room = MAX_OUTPUT_BYTES.saturating_sub(active.output.len());
            if chunk.len() <= room {
                active.output.push_str(chunk);
            } else if !active.truncated {
                let mut end = room;
                while !chunk.is_char_boundary(end) {
                    end -= 1;
                }
                active.output.push_str(&chunk[..end]);
                active.truncated = true;
                tracing::warn!(process = %id, "output over {MAX_OUTPUT_BYTES} bytes; keeping the start");
            }
        }
    }

    /// A copy of the run's output; the live record keeps serving
    /// `claude:status` until the run is finished.
    fn output(&self, id: &ProcessId) -> String {
        self.lock()
            .get(id)
            .map(|active| active.output.clone())
            .unwrap_or_default()
    }

    async fn transition(&self, id: &ProcessId, status: ProcessStatus) {
        if let Some(active) = self.lock().get_mut(id) {
            active.status = status;
        }
        if let Err(error) = self.store.record_transition(id, status, Utc::now()).await {
            tracing::error!(process = %id, %error, "cannot record transition");
        }
    }

    /// Waits for a slot, runs the CLI, and says how it ended.
    async fn drive(
        &self,
        id: &ProcessId,
        user_id: &str,
        valid: ValidRequest,
        mut stopped: watch::Receiver<Option<StopReason>>,
    ) -> Ending {
        let mut outcome = Outcome::default();
        let _slot: Slot = match self.scheduler.admit(id.clone(), user_id) {
            Admission::Started(slot) => slot,
            // The scheduler has announced the position on its moves channel.
            Admission::Queued { mut ticket, .. } => {
                self.transition(id, ProcessStatus::Queued).await;
                let deadline = Instant::now() + self.config.queue_timeout;
                tokio::select! {
                    slot = ticket.slot() => match slot {
                        Some(slot) => slot,
                        None => return failed(ErrorCode::Internal, "scheduler closed", outcome),
                    },
                    () = sleep_until(deadline) => {
                        return (ProcessStatus::Timeout, Some(ErrorCode::QueueTimeout),
                            Some("Timed out waiting in the queue".into()), outcome);
                    }
                    reason = stop_requested(&mut stopped) => {
                        return stopped_ending(reason, outcome);
                    }
                }
            }
        };
        if let Some(reason) = *stopped.borrow() {
            return stopped_ending(Some(reason), outcome);
        }

        let spec = valid.child_spec(&self.config, child::allowed_env());
        let started_at = Utc::now();
        outcome.started_at = Some(started_at);
        let mut running = match child::spawn(spec) {
            Ok(running) => running,
            Err(error @ SpawnError::NotFound { .. }) => {
                return failed(ErrorCode::ClaudeUnavailable, &error.to_string(), outcome);
            }
            Err(error) => return failed(ErrorCode::ExecutionError, &error.to_string(), outcome),
        };
        self.transition(id, ProcessStatus::Running).await;
        self.emit(id, ProcessEventKind::Started).await;

        let deadline = Instant::now() + valid.timeout;
        let mut idle_deadline = Instant::now() + self.config.idle_timeout;
        let mut assembler = TextAssembler::default();
        let mut result: Option<ResultLine> = None;
        let mut malformed = 0usize;
        let mut stop: Option<(ErrorCode, String)> = None;
        let mut hung_after_result = false;
        loop {
            // After the result line the CLI should exit; it is known to hang.
            let done_deadline = if result.is_some() {
                idle_deadline.min(Instant::now() + self.config.kill_grace)
            } else {
                idle_deadline
            };
            tokio::select! {
                line = running.stdout.next_line() => match line {
                    Ok(Some(Line::Text(line))) => {
                        idle_deadline = Instant::now() + self.config.idle_timeout;
                        keep(&mut outcome.stdout, &line);
                        match parse_line(&line) {
                            Ok(StreamItem::Result(line)) => result = Some(line),
                            Ok(StreamItem::Init { model }) => outcome.response_model = model.or(outcome.response_model.take()),
                            Ok(item) => {
                                if let StreamItem::AssistantText { model: Some(model), .. } = &item {
                                    outcome.response_model = Some(model.clone());
                                }
                                if let Some(chunk) = assembler.feed(&item) {
                                    self.append_output(id, &chunk);
                                    self.emit(id, ProcessEventKind::Output { chunk }).await;
                                }
                            }
                            Err(error) => {
                                malformed += 1;
                                tracing::warn!(process = %id, %error, "malformed stream-json line");
                            }
                        }
                    }
                    Ok(Some(Line::TooLong(bytes))) => {
                        idle_deadline = Instant::now() + self.config.idle_timeout;
                        tracing::warn!(process = %id, bytes, "stream-json line over the cap skipped");
                    }
                    Ok(None) => break,
                    Err(error) => {
                        stop = Some((ErrorCode::StreamError, format!("cannot read Claude CLI output: {error}")));
                        break;
                    }
                },
                () = sleep_until(deadline) => {
                    stop = Some((ErrorCode::Timeout, format!("Process timed out after {} ms", valid.timeout.as_millis())));
                    break;
                }
                () = sleep_until(done_deadline) => {
                    hung_after_result = result.is_some();
                    if result.is_none() {
                        stop = Some((ErrorCode::Timeout, format!(
                            "No output from Claude CLI for {} ms", self.config.idle_timeout.as_millis())));
                    }
                    break;
                }
                reason = stop_requested(&mut stopped) => {
                    stop = Some(match reason {
                        Some(StopReason::Shutdown) => (ErrorCode::Interrupted, "Interrupted: the server is shutting down".into()),
                        _ => (ErrorCode::Cancelled, "Process cancelled".into()),
                    });
                    break;
                }
            }
        }

        let grace = self.config.kill_grace;
        let exit = match &stop {
            // At shutdown the whole drain has one grace period: be brief.
            Some((ErrorCode::Interrupted, _)) => {
                running
                    .stop(&[Signal::SIGINT], grace.min(SHUTDOWN_KILL_GRACE))
                    .await
            }
            // Ask politely (the CLI records an interrupted turn on SIGINT), then insist.
            Some(_) => {
                running
                    .stop(&[Signal::SIGINT, Signal::SIGTERM], grace)
                    .await
            }
            // Output ended after the result but the CLI lingers: known to hang.
            None if hung_after_result => running.stop(&[Signal::SIGTERM], grace).await,
            None => match tokio::time::timeout(grace, running.wait()).await {
                Ok(status) => status,
                Err(_) => {
                    running
                        .stop(&[Signal::SIGINT, Signal::SIGTERM], grace)
                        .await
                }
            },
        };
        outcome.exit_code = exit.ok().and_then(|status| status.code());
        outcome.stderr = running.stderr().await;
        outcome.output = self.output(id);

        if let Some((code, message)) = stop {
            let status = match code {
                ErrorCode::Timeout => ProcessStatus::Timeout,
                ErrorCode::Cancelled => ProcessStatus::Cancelled,
                _ => ProcessStatus::Failed,
            };
            return (status, Some(code), Some(message), outcome);
        }
        match result {
            Some(result) => {
                if let Some(usage) = result.usage {
                    outcome.input_tokens = Some(usage.input_tokens);
                    outcome.output_tokens = Some(usage.output_tokens);
                }
                outcome.stop_reason = result.stop_reason.clone();
                if result.is_error {
                    let message = result.failure_message();
                    outcome.content = result.result;
                    return failed(ErrorCode::ExecutionError, &message, outcome);
                }
                outcome.content = Some(result.result.unwrap_or_else(|| outcome.output.clone()));
                (ProcessStatus::Completed, None, None, outcome)
            }
            None => {
                let message = match outcome.exit_code {
                    Some(0) if malformed > 0 => {
                        return failed(
                            ErrorCode::StreamError,
                            "Claude CLI output could not be parsed",
                            outcome,
                        );
                    }
                    Some(0) => {
                        return failed(
                            ErrorCode::StreamError,
                            "Claude CLI ended without a result",
                            outcome,
                        );
                    }
                    Some(code) => format!("Claude CLI exited with code {code}"),
                    None => "Claude CLI was killed by a signal".to_owned(),
                };
                let stderr = outcome.stderr.trim();
                let message = if stderr.is_empty() {
                    message
                } else {
                    format!("{message}: {}", tail(stderr, 500))
                };
                failed(ErrorCode::ExecutionError, &message, outcome)
            }
        }
    }

    /// Stores the outcome and announces it; exactly once per run.
    async fn finish(
        &self,
        id: &ProcessId,
        user_id: &str,
        status: ProcessStatus,
        code: Option<ErrorCode>,
        message: Option<String>,
        mut outcome: Outcome,
    ) {
        outcome.completed_at = Utc::now();
        outcome.error_code = code;
        outcome.error_message.clone_from(&message);
        if outcome.output.is_empty() {
            // Runs that ended before the CLI started (queue timeout, cancel).
            outcome.output = self.output(id);
        }
        if let Err(error) = self.store.finish_process(id, status, &outcome).await {
            tracing::error!(process = %id, %error, "cannot store the outcome");
        }
        let observer = self.lock().remove(id).and_then(|active| active.observer);
        let finished = Box::new(Finished {
            user_id: user_id.to_owned(),
            status,
            outcome,
        });
        tracing::info!(process = %id, status = status.as_str(), code = code.map(ErrorCode::as_str), "claude process finished");
        let kind = match code {
            None => ProcessEventKind::Completed(finished),
            Some(code) => ProcessEventKind::Failed {
                code,
                message: message.unwrap_or_default(),
                finished,
            },
        };
        if let Some(observer) = observer {
            let _ = observer.send(kind.clone());
        }
        self.emit(id, kind).await;
        self.unfinished
            .send_modify(|count| *count = count.saturating_sub(1));
    }
}

/// Resolves with the stop reason once one is set.
async fn stop_requested(stopped: &mut watch::Receiver<Option<StopReason>>) -> Option<StopReason> {
    stopped
        .wait_for(Option::is_some)
        .await
        .ok()
        .and_then(|reason| *reason)
}

fn failed(code: ErrorCode, message: &str, outcome: Outcome) -> Ending {
    (
        ProcessStatus::Failed,
        Some(code),
        Some(message.to_owned()),
        outcome,
    )
}

fn stopped_ending(reason: Option<StopReason>, outcome: Outcome) -> Ending {
    match reason {
        Some(StopReason::Shutdown) => failed(
            ErrorCode::Interrupted,
            "Interrupted: the server is shutting down",
            outcome,
        ),
        _ => (
            ProcessStatus::Cancelled,
            Some(ErrorCode::Cancelled),
            Some("Process cancelled".into()),
            outcome,
        ),
    }
}

/// Appends a stdout line to the kept copy, up to the cap.
fn keep(kept: &mut String, line: &str) {
    if kept.len() + line.len() < STDOUT_CAP {
        kept.push_str(line);
        kept.push('\n');
    }
}

/// The last `max` bytes of `text`, cut at a character boundary.
fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
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
