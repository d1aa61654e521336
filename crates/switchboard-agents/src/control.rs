//! [`Control`]: the live handle of one execution, shared by its driver and
//! by the requests that steer it (pause, resume, cancel, approve, shutdown).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use switchboard_core::{ExecutionKind, ExecutionStatus};
use tokio::sync::{oneshot, watch};

/// What the driver should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunState {
    /// Start steps as the DAG allows.
    Running,
    /// Start no new step; running ones finish.
    Paused,
    /// Stop everything; the owner cancelled.
    Cancelled,
    /// Stop everything; the server is shutting down and the run resumes at restart.
    Stopping,
}

/// A human's answer to an approval step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Approved or rejected.
    pub approved: bool,
    /// Why.
    pub comment: Option<String>,
    /// Who decided (a user id, or `api` for a backend).
    pub by: String,
}

/// The live handle of one execution.
#[derive(Debug)]
pub(crate) struct Control {
    pub(crate) id: String,
    pub(crate) kind: ExecutionKind,
    pub(crate) workflow_id: Option<String>,
    pub(crate) owner: String,
    pub(crate) state: watch::Sender<RunState>,
    /// Approval steps waiting for a decision.
    pub(crate) approvals: Mutex<HashMap<String, oneshot::Sender<Decision>>>,
    /// The last event's sequence number; held while an event is stored and sent.
    pub(crate) seq: tokio::sync::Mutex<u64>,
    status: Mutex<ExecutionStatus>,
    has_slot: AtomicBool,
}

impl Control {
    pub(crate) fn new(
        id: String,
        kind: ExecutionKind,
        workflow_id: Option<String>,
        owner: String,
        status: ExecutionStatus,
        last_seq: u64,
    ) -> Self {
        let state = if status == ExecutionStatus::Paused {
            RunState::Paused
        } else {
            RunState::Running
        };
        Control {
            id,
            kind,
            workflow_id,
            owner,
            state: watch::Sender::new(state),
            approvals: Mutex::new(HashMap::new()),
            seq: tokio::sync::Mutex::new(last_seq),
            status: Mutex::new(status),
            has_slot: AtomicBool::new(false),
        }
    }

    pub(crate) fn status(&self) -> ExecutionStatus {
        *self.status.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set_status(&self, status: ExecutionStatus) {
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = status;
    }

    pub(crate) fn took_slot(&self) {
        self.has_slot.store(true, Ordering::SeqCst);
    }

    pub(crate) fn has_slot(&self) -> bool {
        self.has_slot.load(Ordering::SeqCst)
    }

    /// Moves to `to` when the current state is one of `from`; true if it moved.
    pub(crate) fn transition(&self, from: &[RunState], to: RunState) -> bool {
        self.state.send_if_modified(|state| {
            let moves = from.contains(state);
            if moves {
                *state = to;
            }
            moves
        })
    }

    /// Resolves when the run must stop: with the state that stops it.
    pub(crate) async fn interrupted(&self) -> RunState {
        let mut state = self.state.subscribe();
        let stopped = state
            .wait_for(|s| matches!(s, RunState::Cancelled | RunState::Stopping))
            .await
            .map(|s| *s);
        stopped.unwrap_or(RunState::Stopping)
    }

    /// Takes the waiting approval of `step_id`.
    pub(crate) fn take_approval(&self, step_id: &str) -> Option<oneshot::Sender<Decision>> {
        self.approvals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(step_id)
    }

    pub(crate) fn await_approval(&self, step_id: &str) -> oneshot::Receiver<Decision> {
        let (tx, rx) = oneshot::channel();
        self.approvals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(step_id.to_owned(), tx);
        rx
    }
}
