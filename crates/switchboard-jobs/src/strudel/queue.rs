//! The render queue: waiting for a concurrency slot, and reporting queue
//! positions to clients as they change.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use switchboard_core::ProcessId;
use tokio::sync::mpsc;

use super::{Inner, RenderEventKind};
use crate::scheduler::{Admission, QueueMove, Slot};

/// Turns the scheduler's position changes into `Queued` events, for as
/// long as the renderer exists.
pub(super) fn report_moves(inner: &Arc<Inner>, mut moved: mpsc::UnboundedReceiver<QueueMove>) {
    let weak = Arc::downgrade(inner);
    tokio::spawn(async move {
        while let Some(moved) = moved.recv().await {
            let Some(inner) = weak.upgrade() else { break };
            inner
                .emit(
                    &moved.id,
                    RenderEventKind::Queued {
                        position: moved.position,
                    },
                )
                .await;
        }
    });
}

impl Inner {
    /// Takes a slot for `user`'s render, waiting in the queue if need be;
    /// `None` when it was cancelled while waiting.
    pub(super) async fn slot(
        &self,
        id: &ProcessId,
        user: &str,
        cancel: &AtomicBool,
    ) -> Option<Slot> {
        match self.scheduler.admit(id.clone(), user) {
            Admission::Started(slot) => Some(slot),
            Admission::Queued { mut ticket, .. } => loop {
                // Cancel is a flag shared with the render loop, so it is polled.
                tokio::select! {
                    slot = ticket.slot() => break slot,
                    () = tokio::time::sleep(Duration::from_millis(20)) => {
                        if cancel.load(Ordering::SeqCst) {
                            break None;
                        }
                    }
                }
            },
        }
    }
}
