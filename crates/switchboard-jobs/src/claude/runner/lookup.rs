//! Lookups for a run's owner: its live status, its stored record, and the
//! newest runs. Live state wins while a run is unfinished; the store
//! answers afterwards.

use switchboard_core::{Identity, ProcessId, ProcessStatus};
use switchboard_store::{ProcessRecord, StoreError};

use super::ClaudeRunner;

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

impl ClaudeRunner {
    /// The status of one of the caller's processes, with all output so far.
    pub async fn status(&self, identity: &Identity, id: &str) -> Result<StatusView, LookupError> {
        let id = ProcessId::from_raw(id);
        let live = self
            .inner
            .lock()
            .get(&id)
            .map(|active| (active.user_id.clone(), active.status, active.output.clone()));
        if let Some((owner, status, output)) = live {
            if *owner != *identity.user_id {
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
}
