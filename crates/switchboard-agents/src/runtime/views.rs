//! Lookups: which execution a request names, an execution as its viewer
//! may see it (with its live queue position), and its stored event history.

use switchboard_core::{ExecutionStatus, ProcessId};
use switchboard_store::ExecutionRecord;

use super::AgentRuntime;
use crate::catalog::Viewer;
use crate::error::AgentError;
use crate::event::AgentEvent;

/// Which execution a request steers.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// This execution.
    Execution(&'a str),
    /// The caller's newest execution of this workflow.
    Workflow(&'a str),
}

/// How an execution stands.
#[derive(Debug, Clone)]
pub struct ExecutionView {
    /// The stored record with its step checkpoints.
    pub record: ExecutionRecord,
    /// Its live position in the queue.
    pub queue_position: Option<usize>,
}

impl AgentRuntime {
    /// The execution `target` names, if the caller owns it. A workflow
    /// names the caller's newest run of it; with `active_only`, the newest
    /// that is not final.
    pub async fn resolve(
        &self,
        user: &str,
        target: Target<'_>,
        active_only: bool,
    ) -> Result<String, AgentError> {
        let id = match target {
            Target::Execution(id) => id.to_owned(),
            Target::Workflow(workflow_id) => self
                .inner
                .store
                .newest_execution(user, workflow_id, active_only)
                .await?
                .ok_or(AgentError::NotFound("No active execution of this workflow"))?,
        };
        self.view(Viewer::User(user), &id).await?;
        Ok(id)
    }

    /// An execution `viewer` may see, with its checkpoints.
    pub async fn view(&self, viewer: Viewer<'_>, id: &str) -> Result<ExecutionView, AgentError> {
        let record = self
            .inner
            .store
            .get_execution(id)
            .await?
            .ok_or(AgentError::NotFound("Execution not found"))?;
        if let Viewer::User(user) = viewer
            && record.execution.owner != user
        {
            return Err(AgentError::NotFound("Execution not found"));
        }
        let queue_position = (record.status == ExecutionStatus::Queued)
            .then(|| self.inner.scheduler.position(&ProcessId::from_raw(id)))
            .flatten();
        Ok(ExecutionView {
            record,
            queue_position,
        })
    }

    /// The sequence number of an execution's last stored event (0 before any).
    pub async fn last_seq(&self, id: &str) -> Result<u64, AgentError> {
        Ok(self.inner.store.last_event_seq(id).await?)
    }

    /// An execution's history after `after_seq`, in order.
    pub async fn history(&self, id: &str, after_seq: u64) -> Result<Vec<AgentEvent>, AgentError> {
        self.history_page(id, after_seq, u32::MAX).await
    }

    /// At most `limit` events of an execution's history after `after_seq`,
    /// in order: a client that missed events resumes from the last one it
    /// saw, page by page.
    pub async fn history_page(
        &self,
        id: &str,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<AgentEvent>, AgentError> {
        let Some(record) = self.inner.store.get_execution(id).await? else {
            return Err(AgentError::NotFound("Execution not found"));
        };
        let execution = &record.execution;
        self.inner
            .store
            .events_page(id, after_seq, limit)
            .await?
            .into_iter()
            .map(|stored| {
                let body = serde_json::from_str(&stored.body).map_err(|error| {
                    AgentError::Corrupt(format!("event {}: {error}", stored.seq))
                })?;
                Ok(AgentEvent {
                    execution_id: execution.id.clone(),
                    workflow_id: execution.workflow_id.clone(),
                    owner: execution.owner.clone(),
                    kind: execution.kind,
                    seq: stored.seq,
                    at: stored.at,
                    body,
                })
            })
            .collect()
    }
}
