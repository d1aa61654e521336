//! Where a render is, for its owner, and cancelling it. Finished renders
//! stay answerable until they fall out of the remembered window.

use std::sync::atomic::Ordering;

use switchboard_core::{ErrorCode, ProcessId};

use super::{Rendered, StrudelRenderer};

/// Where a render is.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderStatus {
    /// Waiting for a slot.
    Queued(Option<usize>),
    /// Rendering, percent done.
    Running(u8),
    /// Done.
    Completed(Box<Rendered>),
    /// Failed.
    Failed(ErrorCode, String),
}

/// Why a lookup failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RenderLookup {
    /// No such render.
    #[error("Process not found")]
    NotFound,
    /// Someone else's.
    #[error("Access denied")]
    AccessDenied,
    /// Already over.
    #[error("Process already finished")]
    Finished,
}

impl StrudelRenderer {
    /// A render's status, for its owner.
    pub fn status(&self, user: &str, id: &str) -> Result<RenderStatus, RenderLookup> {
        let id = ProcessId::from_raw(id);
        let entries = self.inner.lock();
        let entry = entries.get(&id).ok_or(RenderLookup::NotFound)?;
        if entry.user != user {
            return Err(RenderLookup::AccessDenied);
        }
        Ok(match &entry.status {
            RenderStatus::Queued(_) => RenderStatus::Queued(self.inner.scheduler.position(&id)),
            other => other.clone(),
        })
    }

    /// Cancels the owner's queued or running render (within one progress step).
    pub fn cancel(&self, user: &str, id: &str) -> Result<(), RenderLookup> {
        let id = ProcessId::from_raw(id);
        let entries = self.inner.lock();
        let entry = entries.get(&id).ok_or(RenderLookup::NotFound)?;
        if entry.user != user {
            return Err(RenderLookup::AccessDenied);
        }
        if matches!(
            entry.status,
            RenderStatus::Completed(_) | RenderStatus::Failed(..)
        ) {
            return Err(RenderLookup::Finished);
        }
        entry.cancel.store(true, Ordering::SeqCst);
        Ok(())
    }
}
