//! Drives one workflow execution through its DAG: starts every step whose
//! dependencies completed (in parallel), checkpoints each completed step
//! before announcing it, starts nothing while paused, and stops running
//! steps when cancelled.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use switchboard_core::{ErrorCode, StepStatus};
use switchboard_store::StepRecord;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::control::{Control, RunState};
use crate::definition::{Step, StepKind, Workflow};
use crate::event::EventBody;
use crate::llm::LlmRequest;
use crate::runtime::{Inner, Outcome, stopped};

/// Why a step failed for good.
#[derive(Debug)]
struct StepFailure {
    code: ErrorCode,
    message: String,
}

/// A finished step task: its id, attempts made, and result.
type StepResult = (String, u32, Result<Value, StepFailure>);

pub(crate) async fn drive(
    inner: &Arc<Inner>,
    control: &Arc<Control>,
    workflow: &Workflow,
    input: &Value,
    done: HashMap<String, Value>,
) -> Outcome {
    let total = workflow.steps().len();
    let mut outputs = done;
    let mut started: HashSet<String> = outputs.keys().cloned().collect();
    let mut running: JoinSet<StepResult> = JoinSet::new();
    // The finished share, read by running steps for their progress events.
    let finished = Arc::new(AtomicU8::new(percent(outputs.len(), total)));
    let mut state = control.state.subscribe();
    loop {
        let now = *state.borrow_and_update();
        match now {
            RunState::Cancelled | RunState::Stopping => {
                // Dropping the step futures aborts their HTTP requests and
                // stops their processes; wait for that before reporting.
                running.shutdown().await;
                return stopped(now);
            }
            RunState::Running => {
                for step in workflow.steps() {
                    let ready = !started.contains(step.id())
                        && step
                            .definition
                            .depends_on
                            .iter()
                            .all(|dependency| outputs.contains_key(dependency));
                    if ready {
                        started.insert(step.id().to_owned());
                        let task = StepTask {
                            inner: inner.clone(),
                            control: control.clone(),
                            step: step.clone(),
                            prompt: step
                                .prompt
                                .as_ref()
                                .map(|t| t.render(input, &outputs))
                                .unwrap_or_default(),
                            system: step.system.as_ref().map(|t| t.render(input, &outputs)),
                            finished: finished.clone(),
                        };
                        running.spawn(task.run());
                    }
                }
            }
            RunState::Paused => {}
        }
        if running.is_empty() {
            if outputs.len() == total {
                let results = Value::Object(outputs.into_iter().collect());
                return Outcome::Done {
                    result: results.clone(),
                    event: EventBody::Completed { results },
                };
            }
            if now == RunState::Running {
                // A validated DAG always has a ready step; this is a bug.
                return Outcome::Failed {
                    code: ErrorCode::Internal,
                    error: "no step can start".into(),
                };
            }
            if state.changed().await.is_err() {
                return Outcome::Stopped;
            }
            continue;
        }
        tokio::select! {
            joined = running.join_next() => match joined {
                Some(Ok((step_id, attempts, Ok(output)))) => {
                    inner.checkpoint(control, StepRecord {
                        step_id: step_id.clone(),
                        status: StepStatus::Completed,
                        output: Some(output.to_string()),
                        error: None,
                        attempts,
                        updated_at: Utc::now(),
                    }).await;
                    outputs.insert(step_id.clone(), output.clone());
                    let step_name = step_name(workflow, &step_id);
                    let progress = percent(outputs.len(), total);
                    finished.store(progress, Ordering::Relaxed);
                    inner.emit(control, EventBody::StepCompleted { step_id, step_name, output, progress }).await;
                }
                Some(Ok((step_id, attempts, Err(failure)))) => {
                    running.shutdown().await;
                    inner.checkpoint(control, StepRecord {
                        step_id: step_id.clone(),
                        status: StepStatus::Failed,
                        output: None,
                        error: Some(failure.message.clone()),
                        attempts,
                        updated_at: Utc::now(),
                    }).await;
                    return Outcome::Failed {
                        code: failure.code,
                        error: format!("Step {step_id} failed: {}", failure.message),
                    };
                }
                Some(Err(error)) => {
                    running.shutdown().await;
                    tracing::error!(execution = %control.id, %error, "a step task panicked");
                    return Outcome::Failed { code: ErrorCode::Internal, error: "a step crashed".into() };
                }
                None => {}
            },
            changed = state.changed() => if changed.is_err() {
                running.shutdown().await;
                return Outcome::Stopped;
            },
        }
    }
}

fn percent(done: usize, total: usize) -> u8 {
    u8::try_from(done * 100 / total.max(1)).unwrap_or(100)
}

/// Characters of streamed text at which a step reports half its progress.
const HALF_WAY_CHARS: f64 = 1000.0;

/// A streaming step's own progress after `chars` characters: its final
/// length is unknown, so it grows towards 99 (1 once anything streamed)
/// and only the complete answer reports 100.
fn streamed_percent(chars: usize) -> u8 {
    if chars == 0 {
        return 0;
    }
    let chars = chars as f64;
    let share = 99.0 * chars / (chars + HALF_WAY_CHARS);
    // In 1..=99 by construction, so the cast cannot truncate.
    share.round().clamp(1.0, 99.0) as u8
}

fn step_name(workflow: &Workflow, id: &str) -> String {
    workflow
        .steps()
        .iter()
        .find(|step| step.id() == id)
        .map_or(id, Step::name)
        .to_owned()
}

/// One step, run to success or final failure.
struct StepTask {
    inner: Arc<Inner>,
    control: Arc<Control>,
    step: Step,
    prompt: String,
    system: Option<String>,
    /// The workflow's finished share, shared with the driver.
    finished: Arc<AtomicU8>,
}

impl StepTask {
    async fn run(self) -> StepResult {
        let id = self.step.id().to_owned();
        let (max_attempts, backoff) = self.step.attempts();
        let mut attempt = 1;
        loop {
            self.record(StepStatus::Running, attempt).await;
            self.inner
                .emit(
                    &self.control,
                    EventBody::StepStarted {
                        step_id: id.clone(),
                        step_name: self.step.name().to_owned(),
                        step_kind: self.step.definition.kind.as_str().to_owned(),
                        attempt,
                    },
                )
                .await;
            let result = match self.step.definition.kind {
                StepKind::Llm => self.ask().await,
                StepKind::Approval => return (id, attempt, self.approval().await),
            };
            let failure = match result {
                Ok(output) => return (id, attempt, Ok(output)),
                Err(failure) => failure,
            };
            let will_retry = attempt < max_attempts && failure.code != ErrorCode::LlmNotConfigured;
            self.inner
                .emit(
                    &self.control,
                    EventBody::StepFailed {
                        step_id: id.clone(),
                        step_name: self.step.name().to_owned(),
                        error: failure.message.clone(),
                        attempt,
                        will_retry,
                    },
                )
                .await;
            if !will_retry {
                return (id, attempt, Err(failure));
            }
            let wait = backoff.saturating_mul(1 << (attempt - 1).min(10));
            tokio::time::sleep(wait.min(Duration::from_secs(300))).await;
            attempt += 1;
        }
    }

    async fn record(&self, status: StepStatus, attempts: u32) {
        self.inner
            .checkpoint(
                &self.control,
                StepRecord {
                    step_id: self.step.id().to_owned(),
                    status,
                    output: None,
                    error: None,
                    attempts,
                    updated_at: Utc::now(),
                },
            )
            .await;
    }

    fn timeout(&self) -> Option<Duration> {
        self.step.definition.timeout_ms.map(Duration::from_millis)
    }

    /// One attempt of an llm step; text streams out as `step:progress` deltas.
    async fn ask(&self) -> Result<Value, StepFailure> {
        let Some(llm) = &self.inner.llm else {
            return Err(StepFailure {
                code: ErrorCode::LlmNotConfigured,
                message: "No LLM provider is configured".into(),
            });
        };
        let definition = &self.step.definition;
        let role = definition
            .role
            .as_deref()
            .map(|role| self.inner.roles.prompt(role));
        let system = match (role, &self.system) {
            (Some(role), Some(system)) => Some(format!("{role}\n\n{system}")),
            (role, system) => role.or_else(|| system.clone()),
        };
        let request = LlmRequest {
            system,
            prompt: self.prompt.clone(),
            model: definition.model.clone(),
            max_tokens: definition.max_tokens,
            user: Some(self.control.owner.clone()),
        };
        let (deltas, mut delta_rx) = mpsc::unbounded_channel::<String>();
        let on_delta = move |text: &str| {
            let _ = deltas.send(text.to_owned());
        };
        let limit = self.timeout().unwrap_or(self.inner.step_timeout);
        let call = tokio::time::timeout(limit, llm.complete(&request, &on_delta));
        tokio::pin!(call);
        let mut chars = 0;
        let answer = loop {
            tokio::select! {
                biased;
                Some(first) = delta_rx.recv() => {
                    // Whatever arrived while the last event was being sent goes out as one.
                    let mut delta = first;
                    while let Ok(more) = delta_rx.try_recv() {
                        delta.push_str(&more);
                    }
                    chars += delta.chars().count();
                    self.progress(Some(delta), streamed_percent(chars)).await;
                }
                answer = &mut call => break answer,
            }
        };
        let mut rest = String::new();
        while let Ok(more) = delta_rx.try_recv() {
            rest.push_str(&more);
        }
        if !rest.is_empty() {
            chars += rest.chars().count();
            self.progress(Some(rest), streamed_percent(chars)).await;
        }
        if matches!(answer, Ok(Ok(_))) {
            self.progress(None, 100).await;
        }
        match answer {
            Ok(Ok(completion)) => Ok(Value::String(completion.text)),
            Ok(Err(error)) => Err(StepFailure {
                code: ErrorCode::LlmError,
                message: error.to_string(),
            }),
            Err(_) => Err(StepFailure {
                code: ErrorCode::Timeout,
                message: format!("no answer within {} ms", limit.as_millis()),
            }),
        }
    }

    /// A `step:progress` with the step's own `progress` and the workflow's share.
    async fn progress(&self, delta: Option<String>, progress: u8) {
        self.inner
            .emit(
                &self.control,
                EventBody::StepProgress {
                    step_id: self.step.id().to_owned(),
                    delta,
                    progress,
                    workflow_progress: self.finished.load(Ordering::Relaxed),
                    awaiting_approval: None,
                },
            )
            .await;
    }

    /// Waits for a human decision; rejection fails the step.
    async fn approval(&self) -> Result<Value, StepFailure> {
        let id = self.step.id();
        let decision = self.control.await_approval(id);
        self.record(StepStatus::AwaitingApproval, 1).await;
        let message = if self.prompt.is_empty() {
            format!("Approve step {}?", self.step.name())
        } else {
            self.prompt.clone()
        };
        self.inner
            .emit(
                &self.control,
                EventBody::StepProgress {
                    step_id: id.to_owned(),
                    delta: None,
                    progress: 0,
                    workflow_progress: self.finished.load(Ordering::Relaxed),
                    awaiting_approval: Some(message),
                },
            )
            .await;
        let decided = match self.timeout() {
            Some(limit) => tokio::time::timeout(limit, decision)
                .await
                .map_err(|_| StepFailure {
                    code: ErrorCode::Timeout,
                    message: format!("no decision within {} ms", limit.as_millis()),
                }),
            None => Ok(decision.await),
        };
        // A timed-out wait must not accept a late decision.
        self.control.take_approval(id);
        let decision = decided?.map_err(|_| StepFailure {
            code: ErrorCode::Internal,
            message: "the approval was abandoned".into(),
        })?;
        if decision.approved {
            Ok(json!({"approved": true, "comment": decision.comment, "by": decision.by}))
        } else {
            Err(StepFailure {
                code: ErrorCode::ApprovalRejected,
                message: match &decision.comment {
                    Some(comment) => format!("rejected by {}: {comment}", decision.by),
                    None => format!("rejected by {}", decision.by),
                },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::streamed_percent;

    #[test]
    fn streamed_progress_starts_at_zero_grows_and_stays_below_100() {
        assert_eq!(streamed_percent(0), 0);
        assert_eq!(streamed_percent(1), 1);
        let mut last = 0;
        for chars in [10, 100, 500, 1000, 5000, 1_000_000] {
            let now = streamed_percent(chars);
            assert!(now >= last, "{chars}: {now} < {last}");
            last = now;
        }
        assert_eq!(streamed_percent(1000), 50);
        assert_eq!(streamed_percent(usize::MAX), 99);
    }
}
