//! A run's record as it moves along: status transitions and output kept
//! live for `claude:status`, then the stored outcome and the final event.

use chrono::Utc;
use switchboard_core::{ErrorCode, ProcessId, ProcessStatus};

use super::execute::Ending;
use super::{Finished, Inner, ProcessEvent, ProcessEventKind};
use crate::scheduler::Slot;

/// Text output kept per process (status, result, record); chunks beyond it
/// still stream to clients.
const MAX_OUTPUT_BYTES: usize = 8 * 1024 * 1024;

impl Inner {
    /// Records a new status, live and in the store.
    pub(super) async fn transition(&self, id: &ProcessId, status: ProcessStatus) {
        if let Some(active) = self.lock().get_mut(id) {
            active.status = status;
        }
        if let Err(error) = self.store.record_transition(id, status, Utc::now()).await {
            tracing::error!(process = %id, %error, "cannot record transition");
        }
    }

    /// Keeps a chunk in the run's output, up to [`MAX_OUTPUT_BYTES`].
    pub(super) fn append_output(&self, id: &ProcessId, chunk: &str) {
        if let Some(active) = self.lock().get_mut(id) {
            let room = MAX_OUTPUT_BYTES.saturating_sub(active.output.len());
            if chunk.len() <= room {
                active.output.push_str(chunk);
            } else if !active.truncated {
                let mut end = room;
                while !chunk.is_char_boundary(end) {
                    end -= 1;
                }
                active.output.push_str(&chunk[..end]);
                active.truncated = true;
                tracing::warn!(process = %id, "output over {MAX_OUTPUT_BYTES} bytes; keeping the start");
            }
        }
    }

    /// A copy of the run's output; the live record keeps serving
    /// `claude:status` until the run is finished.
    pub(super) fn output(&self, id: &ProcessId) -> String {
        self.lock()
            .get(id)
            .map(|active| active.output.clone())
            .unwrap_or_default()
    }

    /// Stores the outcome and announces it; exactly once per run. The run's
    /// slot travels in the final event, so the next queued run starts only
    /// after the end of this one is stored and published; every path that
    /// drops the event (no listener, a failed send) frees it too.
    pub(super) async fn finish(
        &self,
        id: &ProcessId,
        user_id: &str,
        ending: Ending,
        slot: Option<Slot>,
    ) {
        let (status, code, message, mut outcome) = ending;
        outcome.completed_at = Utc::now();
        outcome.error_code = code;
        outcome.error_message.clone_from(&message);
        if outcome.output.is_empty() {
            // Runs that ended before the CLI started (queue timeout, cancel).
            outcome.output = self.output(id);
        }
        // The answer text, as seed 001 prints it (the raw stream-json is not
        // kept): what streamed, or the result's text when nothing did.
        outcome.stdout = match &outcome.content {
            Some(content) if outcome.output.is_empty() => content.clone(),
            _ => outcome.output.clone(),
        };
        if let Err(error) = self.store.finish_process(id, status, &outcome).await {
            tracing::error!(process = %id, %error, "cannot store the outcome");
        }
        let active = self.lock().remove(id);
        let (user, observer) = match active {
            Some(active) => (active.user_id, active.observer),
            None => (user_id.into(), None),
        };
        let finished = Box::new(Finished::new(user_id.to_owned(), status, outcome, slot));
        tracing::info!(process = %id, status = status.as_str(), code = code.map(ErrorCode::as_str), "claude process finished");
        let kind = match code {
            None => ProcessEventKind::Completed(finished),
            Some(code) => ProcessEventKind::Failed {
                code,
                message: message.unwrap_or_default(),
                finished,
            },
        };
        // The observer's copy shares the slot: it is freed once both are dropped.
        if let Some(observer) = observer {
            let _ = observer.send(kind.clone());
        }
        self.publish(ProcessEvent {
            id: id.clone(),
            user_id: user,
            kind,
        })
        .await;
        self.unfinished
            .send_modify(|count| *count = count.saturating_sub(1));
    }
}
