//! One execution from launch to its end: what it does (`Job`), waiting
//! for a slot, handing it to its driver, and how it ended (`Outcome`),
//! which is stored before the single final event is sent.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;
use switchboard_core::{ErrorCode, ExecutionStatus};

use super::Inner;
use super::request::{CritiqueRequest, DiscussionRequest};
use crate::control::{Control, RunState};
use crate::definition::Workflow;
use crate::event::EventBody;
use crate::{critique, discussion, workflow_run};

/// What an execution does.
#[derive(Debug, Clone)]
pub(crate) enum Job {
    Workflow {
        workflow: Box<Workflow>,
        input: Value,
        done: HashMap<String, Value>,
    },
    Critique(CritiqueRequest),
    Discussion(DiscussionRequest),
}

/// How a driver ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Success: the result to store and the final event.
    Done { result: Value, event: EventBody },
    /// Failure.
    Failed { code: ErrorCode, error: String },
    /// The owner cancelled.
    Cancelled,
    /// The server is stopping; the stored status stays so the run resumes.
    Stopped,
}

/// The outcome of a run interrupted in `state`.
pub(crate) fn stopped(state: RunState) -> Outcome {
    match state {
        RunState::Cancelled => Outcome::Cancelled,
        _ => Outcome::Stopped,
    }
}

impl Inner {
    /// Runs `job` in the background; `restart` marks a run resumed after a
    /// restart, which announces itself as resumed rather than started.
    pub(super) fn spawn(self: &Arc<Self>, control: Arc<Control>, job: Job, restart: bool) {
        let inner = self.clone();
        tokio::spawn(async move {
            let outcome = inner.run(&control, job, restart).await;
            inner.finish(&control, outcome).await;
        });
    }

    async fn run(self: &Arc<Self>, control: &Arc<Control>, job: Job, restart: bool) -> Outcome {
        // Held until the driver returns; dropping it starts the next queued run.
        let _slot = match self.admit(control).await {
            Ok(slot) => slot,
            Err(ended) => return ended,
        };
        control.took_slot();
        if control.status() != ExecutionStatus::Paused {
            self.set_status(control, ExecutionStatus::Running).await;
        }
        let first = if restart {
            EventBody::Resumed { restart: true }
        } else {
            EventBody::Started
        };
        self.emit(control, first).await;
        match job {
            Job::Workflow {
                workflow,
                input,
                done,
            } => workflow_run::drive(self, control, &workflow, &input, done).await,
            Job::Critique(request) => critique::run(self, control, &request)
                .await
                .unwrap_or_else(|ended| ended),
            Job::Discussion(request) => discussion::run(self, control, &request)
                .await
                .unwrap_or_else(|ended| ended),
        }
    }

    /// Stores the final status, sends the final event, forgets the run.
    pub(super) async fn finish(&self, control: &Arc<Control>, outcome: Outcome) {
        let now = Utc::now();
        let (status, result, error, event) = match outcome {
            Outcome::Stopped => {
                tracing::info!(execution = %control.id, "execution stopped for shutdown; it resumes at restart");
                self.forget(control);
                return;
            }
            Outcome::Done { result, event } => (
                ExecutionStatus::Completed,
                Some(result.to_string()),
                None,
                event,
            ),
            Outcome::Failed { code, error } => (
                ExecutionStatus::Failed,
                None,
                Some(error.clone()),
                EventBody::Failed {
                    code: code.as_str().to_owned(),
                    error,
                },
            ),
            Outcome::Cancelled => (
                ExecutionStatus::Cancelled,
                None,
                Some("Cancelled by its owner".to_owned()),
                EventBody::Cancelled,
            ),
        };
        control.set_status(status);
        if let Err(error) = self
            .store
            .set_execution_status(
                &control.id,
                status,
                result.as_deref(),
                error.as_deref(),
                now,
            )
            .await
        {
            tracing::error!(execution = %control.id, %error, "cannot store the execution's end");
        }
        tracing::info!(execution = %control.id, status = status.as_str(), "execution finished");
        self.emit(control, event).await;
        self.forget(control);
    }
}
