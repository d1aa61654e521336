//! [`AgentRuntime`]: accepts executions, queues them under the concurrency
//! limits, drives them, and answers status, pause, resume, cancel and
//! approvals. Every execution ends in exactly one final event, stored
//! before it is sent; after a restart, workflow runs resume from their last
//! checkpoint.
//!
//! This file owns the handle: its shared state, construction, shutdown and
//! the table of live executions. The submodules split the rest by concern.

mod drivers;
mod lifecycle;
mod queue;
mod recovery;
mod request;
mod start;
mod steer;
mod views;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use switchboard_core::config::AgentConfig;
use switchboard_jobs::scheduler::{Limits, QueueMove, Scheduler};
use switchboard_store::Store;
use tokio::sync::{mpsc, watch};

use crate::catalog::Catalog;
use crate::control::{Control, RunState};
use crate::error::AgentError;
use crate::event::AgentEvent;
use crate::llm::Llm;
use crate::roles::Roles;

pub(crate) use lifecycle::{Outcome, stopped};
pub use request::{CritiqueRequest, DiscussionRequest};
pub use start::Accepted;
pub use views::{ExecutionView, Target};

/// Runs agent work; cheap to clone.
#[derive(Debug, Clone)]
pub struct AgentRuntime {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) llm: Option<Llm>,
    pub(crate) roles: Roles,
    pub(crate) step_timeout: Duration,
    catalog: Catalog,
    scheduler: Scheduler,
    /// Taken at the end of shutdown, so the listener sees the stream end.
    events: Mutex<Option<mpsc::Sender<AgentEvent>>>,
    live: Mutex<HashMap<String, Arc<Control>>>,
    shutting_down: AtomicBool,
    /// Executions whose driver has not returned.
    unfinished: watch::Sender<usize>,
}

impl AgentRuntime {
    /// A runtime reporting on `events`. Workflow files are loaded now; call
    /// [`AgentRuntime::recover`] once events have a listener.
    pub fn new(
        config: &AgentConfig,
        store: Store,
        llm: Option<Llm>,
        events: mpsc::Sender<AgentEvent>,
    ) -> Result<Self, AgentError> {
        let catalog = Catalog::load(store.clone(), config.workflows_dir.as_deref())?;
        let (moves, moved) = mpsc::unbounded_channel::<QueueMove>();
        let runtime = AgentRuntime {
            inner: Arc::new(Inner {
                store,
                llm,
                roles: Roles::new(&config.roles),
                step_timeout: config.step_timeout,
                catalog,
                scheduler: Scheduler::new(
                    Limits {
                        global: config.max_concurrent,
                        per_user: config.max_per_user,
                    },
                    moves,
                ),
                events: Mutex::new(Some(events)),
                live: Mutex::new(HashMap::new()),
                shutting_down: AtomicBool::new(false),
                unfinished: watch::Sender::new(0),
            }),
        };
        queue::relay_moves(Arc::downgrade(&runtime.inner), moved);
        Ok(runtime)
    }

    /// The workflow definitions.
    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// The name of the configured provider, if any.
    pub fn provider(&self) -> Option<&'static str> {
        self.inner.llm.as_ref().map(Llm::provider_name)
    }

    /// Refuses new executions and stops the running ones, which keep their
    /// checkpoints and resume at the next start; waits at most `grace`,
    /// then closes the event stream.
    pub async fn shutdown(&self, grace: Duration) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
        for control in self.inner.lock().values() {
            control.transition(&[RunState::Running, RunState::Paused], RunState::Stopping);
        }
        let mut unfinished = self.inner.unfinished.subscribe();
        let drained = tokio::time::timeout(grace, unfinished.wait_for(|count| *count == 0)).await;
        if drained.is_err() {
            tracing::warn!("agent executions still active after the grace period");
        }
        self.inner
            .events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
    }
}

impl Inner {
    pub(crate) fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<Control>>> {
        // No code panics while holding this lock; recover if one ever does.
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn open(&self) -> Result<(), AgentError> {
        if self.shutting_down.load(Ordering::SeqCst) {
            return Err(AgentError::ShuttingDown);
        }
        Ok(())
    }

    /// Adds a live execution; shutdown waits until it is forgotten again.
    fn register(&self, control: &Arc<Control>) {
        self.lock().insert(control.id.clone(), control.clone());
        self.unfinished.send_modify(|count| *count += 1);
    }

    fn forget(&self, control: &Control) {
        self.lock().remove(&control.id);
        self.unfinished
            .send_modify(|count| *count = count.saturating_sub(1));
    }
}
