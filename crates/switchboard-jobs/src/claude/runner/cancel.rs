//! Cancelling a run: the owner is checked first and answered, then the
//! returned [`Cancellation`] takes the run out of the queue or stops its CLI.

use std::sync::Arc;

use switchboard_core::{Identity, ProcessId, ProcessStatus};

use super::{ClaudeRunner, Inner, LookupError, StopReason};

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
    pub(super) inner: Arc<Inner>,
    pub(super) id: ProcessId,
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

impl ClaudeRunner {
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
            Some(owner) if *owner == *identity.user_id => Ok(Cancellation {
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
}
