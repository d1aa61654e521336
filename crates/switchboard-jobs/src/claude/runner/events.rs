//! What the runner reports: [`ProcessEvent`]s, in order per process, on the
//! listener's channel and to a run's observer.

use std::fmt;
use std::sync::Arc;

use switchboard_core::{ErrorCode, ProcessId, ProcessStatus};
use switchboard_store::Outcome;

use super::Inner;
use crate::scheduler::Slot;

/// Something that happened to a process, in order.
#[derive(Debug, Clone)]
pub struct ProcessEvent {
    /// The process.
    pub id: ProcessId,
    /// Who runs it, on every event, so a listener can tell the user's
    /// other connections without remembering anything.
    pub user_id: Arc<str>,
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
///
/// It also holds the run's concurrency slot, shared by its clones: the next
/// queued run starts once every copy is dropped. Consumers publish it and
/// then let it go; keeping one holds back the queue.
#[derive(Debug, Clone)]
pub struct Finished {
    /// Who ran it.
    pub user_id: String,
    /// Its final status.
    pub status: ProcessStatus,
    /// What it produced.
    pub outcome: Outcome,
    /// Never read: held so that dropping the record frees the slot.
    _slot: SlotRelease,
}

impl Finished {
    /// The record of a run that holds `slot` (none if it never got one).
    pub(super) fn new(
        user_id: String,
        status: ProcessStatus,
        outcome: Outcome,
        slot: Option<Slot>,
    ) -> Self {
        Finished {
            user_id,
            status,
            outcome,
            _slot: SlotRelease(slot.map(Arc::new)),
        }
    }
}

/// A finished run's slot, carried by its final event. Freeing the slot when
/// the event is dropped, rather than when the CLI exits, means a listener
/// has published the end of one run before the next queued run can start,
/// so no client sees more runs running than the limits allow.
#[derive(Clone)]
struct SlotRelease(Option<Arc<Slot>>);

impl fmt::Debug for SlotRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The slot's scheduler state says nothing about this run.
        let state = if self.0.is_some() { "held" } else { "none" };
        write!(f, "SlotRelease({state})")
    }
}

impl Inner {
    /// Reports `kind` of an unfinished run to its observer, if any, then to
    /// the listener. Nothing is reported for a run that has already finished.
    pub(super) async fn emit(&self, id: &ProcessId, kind: ProcessEventKind) {
        let user_id = {
            let active = self.lock();
            let Some(active) = active.get(id) else { return };
            if let Some(observer) = &active.observer {
                let _ = observer.send(kind.clone());
            }
            active.user_id.clone()
        };
        self.publish(ProcessEvent {
            id: id.clone(),
            user_id,
            kind,
        })
        .await;
    }

    /// Sends an event to the listener. Without a listener the event, and
    /// any slot in it, is dropped here.
    pub(super) async fn publish(&self, event: ProcessEvent) {
        let id = event.id.clone();
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
}
