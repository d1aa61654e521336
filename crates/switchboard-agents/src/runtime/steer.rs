//! Steering a live execution on its owner's behalf: pause, resume and
//! cancel, and deciding an approval step that is waiting.

use std::sync::Arc;

use switchboard_core::{ExecutionKind, ExecutionStatus};

use super::{AgentRuntime, Inner};
use crate::catalog::Viewer;
use crate::control::{Control, Decision, RunState};
use crate::error::AgentError;
use crate::event::EventBody;

impl AgentRuntime {
    /// Stops starting new steps of the caller's running workflow execution.
    pub async fn pause(&self, user: &str, id: &str) -> Result<(), AgentError> {
        let control = self.inner.steerable(user, id)?;
        if !matches!(
            control.kind,
            ExecutionKind::Workflow | ExecutionKind::Orchestration
        ) {
            return Err(AgentError::InvalidState(
                "Only workflow executions can be paused".into(),
            ));
        }
        if !control.transition(&[RunState::Running], RunState::Paused) {
            return Err(AgentError::InvalidState("Execution is not running".into()));
        }
        self.inner
            .set_status(&control, ExecutionStatus::Paused)
            .await;
        self.inner.emit(&control, EventBody::Paused).await;
        Ok(())
    }

    /// Lets a paused execution start steps again.
    pub async fn resume(&self, user: &str, id: &str) -> Result<(), AgentError> {
        let control = self.inner.steerable(user, id)?;
        if !control.transition(&[RunState::Paused], RunState::Running) {
            return Err(AgentError::InvalidState("Execution is not paused".into()));
        }
        let status = if control.has_slot() {
            ExecutionStatus::Running
        } else {
            ExecutionStatus::Queued
        };
        self.inner.set_status(&control, status).await;
        self.inner
            .emit(&control, EventBody::Resumed { restart: false })
            .await;
        Ok(())
    }

    /// Cancels the caller's execution; running steps are stopped (their
    /// HTTP requests aborted, their processes killed) before `cancelled`.
    pub async fn cancel(&self, user: &str, id: &str) -> Result<(), AgentError> {
        let control = self.inner.steerable(user, id)?;
        if !control.transition(&[RunState::Running, RunState::Paused], RunState::Cancelled) {
            return Err(AgentError::InvalidState(
                "Execution is already stopping".into(),
            ));
        }
        Ok(())
    }

    /// Decides an approval step that is waiting.
    pub async fn decide(
        &self,
        viewer: Viewer<'_>,
        id: &str,
        step_id: &str,
        decision: Decision,
    ) -> Result<(), AgentError> {
        self.view(viewer, id).await?;
        let control = self
            .inner
            .lock()
            .get(id)
            .cloned()
            .ok_or_else(|| AgentError::InvalidState("Execution is not running".into()))?;
        let waiting = control.take_approval(step_id).ok_or_else(|| {
            AgentError::InvalidState(format!("Step {step_id} is not waiting for approval"))
        })?;
        waiting
            .send(decision)
            .map_err(|_| AgentError::InvalidState(format!("Step {step_id} is no longer waiting")))
    }
}

impl Inner {
    /// The live execution `id`, if `user` owns it.
    fn steerable(&self, user: &str, id: &str) -> Result<Arc<Control>, AgentError> {
        let control = self
            .lock()
            .get(id)
            .cloned()
            .ok_or_else(|| AgentError::InvalidState("Execution is not active".into()))?;
        if control.owner != user {
            return Err(AgentError::NotFound("Execution not found"));
        }
        Ok(control)
    }
}
