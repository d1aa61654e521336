//! Executing one admitted run: spawn the CLI, stream its stdout into
//! events, watch the run time limit and silence, stop the process group
//! when asked, and say how the run ended.

use std::time::Duration;

use chrono::Utc;
use nix::sys::signal::Signal;
use switchboard_core::{ErrorCode, ProcessId, ProcessStatus};
use switchboard_store::Outcome;
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

use super::{Inner, ProcessEventKind, StopReason, stop_requested};
use crate::child::{self, Line, SpawnError};
use crate::claude::request::ValidRequest;
use crate::claude::stream::{ResultLine, StreamItem, TextAssembler, parse_line};

/// How long a run gets to stop at shutdown before SIGKILL.
const SHUTDOWN_KILL_GRACE: Duration = Duration::from_millis(500);

/// How a run ended, before it is stored.
pub(super) type Ending = (ProcessStatus, Option<ErrorCode>, Option<String>, Outcome);

impl Inner {
    /// Runs the CLI for a run that holds a slot, and says how it ended.
    pub(super) async fn execute(
        &self,
        id: &ProcessId,
        valid: ValidRequest,
        mut stopped: watch::Receiver<Option<StopReason>>,
    ) -> Ending {
        let mut outcome = Outcome::default();
        // Stopped while the slot was being handed over.
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
        // Kept until the run is finished, so that a node restarted after a
        // crash kills this group before it marks the run interrupted.
        if let Some(group) = running.process_group()
            && let Err(error) = self
                .store
                .record_process_group(id, &group, Utc::now())
                .await
        {
            tracing::error!(process = %id, %error, "cannot record the process group");
        }
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
        conclude(stop, result, malformed, outcome)
    }
}

/// Judges a run whose CLI has exited: a stop wins, then the result line,
/// then the exit code and stderr.
fn conclude(
    stop: Option<(ErrorCode, String)>,
    result: Option<ResultLine>,
    malformed: usize,
    mut outcome: Outcome,
) -> Ending {
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

/// A failed run's ending.
pub(super) fn failed(code: ErrorCode, message: &str, outcome: Outcome) -> Ending {
    (
        ProcessStatus::Failed,
        Some(code),
        Some(message.to_owned()),
        outcome,
    )
}

/// The ending of a run stopped by cancel or shutdown.
pub(super) fn stopped_ending(reason: Option<StopReason>, outcome: Outcome) -> Ending {
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
