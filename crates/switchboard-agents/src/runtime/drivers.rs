//! What the execution drivers (workflow runs, critiques, discussions) call
//! back into: storing status and step checkpoints, emitting events (stored
//! in the history before they are sent), and asking the model in a way
//! that stops when the run is interrupted.

use chrono::Utc;
use switchboard_core::{ErrorCode, ExecutionStatus};
use switchboard_store::{EventRecord, StepRecord};

use super::Inner;
use super::lifecycle::{Outcome, stopped};
use crate::control::Control;
use crate::error::AgentError;
use crate::event::{AgentEvent, EventBody};
use crate::llm::LlmRequest;

impl Inner {
    pub(crate) async fn set_status(&self, control: &Control, status: ExecutionStatus) {
        control.set_status(status);
        if let Err(error) = self
            .store
            .set_execution_status(&control.id, status, None, None, Utc::now())
            .await
        {
            tracing::error!(execution = %control.id, %error, "cannot store the execution's status");
        }
    }

    /// Writes a step checkpoint; a failure is logged (the run goes on, and
    /// at worst the step runs again after a restart).
    pub(crate) async fn checkpoint(&self, control: &Control, step: StepRecord) {
        if let Err(error) = self.store.save_step(&control.id, &step).await {
            tracing::error!(execution = %control.id, step = %step.step_id, %error, "cannot store a step checkpoint");
        }
    }

    /// Stores the event in the history, then sends it.
    pub(crate) async fn emit(&self, control: &Control, body: EventBody) {
        let mut seq = control.seq.lock().await;
        *seq += 1;
        let at = Utc::now();
        let stored = EventRecord {
            seq: *seq,
            body: serde_json::to_string(&body).unwrap_or_default(),
            at,
        };
        if let Err(error) = self.store.append_event(&control.id, &stored).await {
            tracing::error!(execution = %control.id, %error, "cannot store an execution event");
        }
        let event = AgentEvent {
            execution_id: control.id.clone(),
            workflow_id: control.workflow_id.clone(),
            owner: control.owner.clone(),
            kind: control.kind,
            seq: *seq,
            at,
            body,
        };
        let events = self
            .events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if let Some(events) = events
            && events.send(event).await.is_err()
        {
            tracing::debug!(execution = %control.id, "no listener for agent events");
        }
    }

    /// Asks the model once, within the step timeout, stopping early when
    /// the run is cancelled or the server stops.
    pub(crate) async fn ask(
        &self,
        control: &Control,
        system: String,
        prompt: String,
    ) -> Result<String, Outcome> {
        let Some(llm) = &self.llm else {
            return Err(Outcome::Failed {
                code: ErrorCode::LlmNotConfigured,
                error: AgentError::NotConfigured.to_string(),
            });
        };
        let request = LlmRequest {
            system: Some(system),
            prompt,
            model: None,
            max_tokens: None,
            user: Some(control.owner.clone()),
        };
        let call = tokio::time::timeout(self.step_timeout, llm.complete(&request, &|_| {}));
        tokio::select! {
            answer = call => match answer {
                Ok(Ok(completion)) => Ok(completion.text),
                Ok(Err(error)) => Err(Outcome::Failed { code: ErrorCode::LlmError, error: error.to_string() }),
                Err(_) => Err(Outcome::Failed {
                    code: ErrorCode::Timeout,
                    error: format!("The model did not answer within {} ms", self.step_timeout.as_millis()),
                }),
            },
            state = control.interrupted() => Err(stopped(state)),
        }
    }
}
