//! Concurrency limits: admitting an execution under the scheduler's global
//! and per-user limits, announcing a waiting execution's new queue position,
//! and the slot counts.

use std::sync::Weak;

use switchboard_core::ProcessId;
use switchboard_jobs::scheduler::{Admission, QueueMove, Slot};
use tokio::sync::mpsc;

use super::lifecycle::{Outcome, stopped};
use super::{AgentRuntime, Inner};
use crate::control::Control;
use crate::event::EventBody;

/// Sends a `queued` event for every queue move until the runtime is gone.
/// The scheduler inside `Inner` holds the sending side, so the listener
/// keeps only a weak reference or neither would ever be dropped.
pub(super) fn relay_moves(inner: Weak<Inner>, mut moved: mpsc::UnboundedReceiver<QueueMove>) {
    tokio::spawn(async move {
        while let Some(moved) = moved.recv().await {
            let Some(inner) = inner.upgrade() else { break };
            let control = inner.lock().get(moved.id.as_str()).cloned();
            if let Some(control) = control {
                let position = moved.position;
                inner.emit(&control, EventBody::Queued { position }).await;
            }
        }
    });
}

impl Inner {
    /// Waits for a slot; `Err` is how the run ended while it was queued
    /// (cancelled, or the server stopping).
    pub(super) async fn admit(&self, control: &Control) -> Result<Slot, Outcome> {
        let admission = self
            .scheduler
            .admit(ProcessId::from_raw(control.id.clone()), &control.owner);
        match admission {
            Admission::Started(slot) => Ok(slot),
            Admission::Queued { mut ticket, .. } => {
                tokio::select! {
                    slot = ticket.slot() => match slot {
                        Some(slot) => Ok(slot),
                        None => Err(Outcome::Stopped),
                    },
                    state = control.interrupted() => Err(stopped(state)),
                }
            }
        }
    }
}

impl AgentRuntime {
    /// Executions holding a slot and executions waiting for one.
    pub fn counts(&self) -> (usize, usize) {
        self.inner.scheduler.counts()
    }
}
