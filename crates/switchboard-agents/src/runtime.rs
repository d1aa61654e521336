//! [`AgentRuntime`]: accepts executions, queues them under the concurrency
//! limits, drives them, and answers status, pause, resume, cancel and
//! approvals. Every execution ends in exactly one final event, stored
//! before it is sent; after a restart, workflow runs resume from their last
//! checkpoint.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_core::config::AgentConfig;
use switchboard_core::process::random_id;
use switchboard_core::{ErrorCode, ExecutionKind, ExecutionStatus, ProcessId, ResourceKind};
use switchboard_jobs::scheduler::{Admission, Limits, QueueMove, Scheduler};
use switchboard_store::{EventRecord, ExecutionRecord, NewExecution, StepRecord, Store};
use tokio::sync::{mpsc, watch};

use crate::catalog::{Catalog, Viewer};
use crate::control::{Control, Decision, RunState};
use crate::definition::{StepDefinition, StepKind, Workflow, WorkflowDefinition};
use crate::error::AgentError;
use crate::event::{AgentEvent, EventBody};
use crate::llm::{Llm, LlmRequest};
use crate::roles::Roles;
use crate::{critique, discussion, workflow_run};

/// Longest task, content or topic text accepted.
const MAX_TEXT: usize = 100_000;
/// Most agents, criteria or participants in one request.
const MAX_NAMES: usize = 10;
/// Most iterations or rounds a client may ask for.
const MAX_ROUNDS: u32 = 10;

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

/// An execution accepted but not started, so the requester can answer first.
#[derive(Debug)]
pub struct Accepted {
    /// The new execution.
    pub execution_id: String,
    /// The workflow it runs, for workflows and orchestrations.
    pub workflow_id: Option<String>,
    control: Arc<Control>,
    job: Job,
}

/// What an execution does.
#[derive(Debug, Clone)]
pub(crate) enum Job {
    Workflow {
        workflow: Box<Workflow>,
        input: Value,
        done: HashMap<String, Value>,
    },
    Critique(CritiqueRequest),
    Discussion(DiscussionRequest),
}

/// `agent:critique:execute`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CritiqueRequest {
    /// The draft.
    pub content: String,
    /// What it is scored on.
    pub criteria: Vec<String>,
    /// Rounds of critique at most.
    pub max_iterations: u32,
    /// Score (0..=10) every criterion must reach.
    pub threshold: f64,
}

impl CritiqueRequest {
    /// Validates a request; a threshold in `(0, 1]` is read as a fraction of 10.
    pub fn new(
        content: String,
        criteria: Vec<String>,
        max_iterations: Option<u32>,
        threshold: Option<f64>,
    ) -> Result<Self, AgentError> {
        text("content", &content)?;
        names("criteria", &criteria)?;
        let max_iterations = rounds("maxIterations", max_iterations, 3)?;
        let threshold = match threshold {
            None => 8.0,
            Some(t) if t > 0.0 && t <= 1.0 => t * 10.0,
            Some(t) if t > 1.0 && t <= 10.0 => t,
            Some(_) => {
                return Err(AgentError::Invalid(
                    "threshold must be in (0, 10] (or a fraction in (0, 1])".into(),
                ));
            }
        };
        Ok(CritiqueRequest {
            content,
            criteria,
            max_iterations,
            threshold,
        })
    }
}

/// `agent:discussion:execute`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscussionRequest {
    /// What is discussed.
    pub topic: String,
    /// Roles taking part, in speaking order.
    pub participants: Vec<String>,
    /// Rounds at most.
    pub max_rounds: u32,
}

impl DiscussionRequest {
    /// Validates a request.
    pub fn new(
        topic: String,
        participants: Vec<String>,
        max_rounds: Option<u32>,
    ) -> Result<Self, AgentError> {
        text("topic", &topic)?;
        names("participants", &participants)?;
        Ok(DiscussionRequest {
            topic,
            participants,
            max_rounds: rounds("maxRounds", max_rounds, 3)?,
        })
    }
}

fn text(field: &str, value: &str) -> Result<(), AgentError> {
    let length = value.chars().count();
    if value.trim().is_empty() || length > MAX_TEXT {
        return Err(AgentError::Invalid(format!(
            "{field} must be 1..{MAX_TEXT} characters"
        )));
    }
    Ok(())
}

fn names(field: &str, values: &[String]) -> Result<(), AgentError> {
    let valid = |name: &String| !name.trim().is_empty() && name.chars().count() <= 64;
    if values.is_empty() || values.len() > MAX_NAMES || !values.iter().all(valid) {
        return Err(AgentError::Invalid(format!(
            "{field} must be 1..{MAX_NAMES} names of 1..64 characters"
        )));
    }
    Ok(())
}

fn rounds(field: &str, value: Option<u32>, default: u32) -> Result<u32, AgentError> {
    match value.unwrap_or(default) {
        n @ 1..=MAX_ROUNDS => Ok(n),
        _ => Err(AgentError::Invalid(format!(
            "{field} must be 1..={MAX_ROUNDS}"
        ))),
    }
}

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

/// How a driver ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Success: the result to store and the final event.
    Done { result: Value, event: EventBody },
    /// Failure.
    Failed { code: ErrorCode, error: String },
    /// The owner cancelled.
    Cancelled,
    /// The server is stopping; the stored status stays so the run resumes.
    Stopped,
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
        let (moves, mut moved) = mpsc::unbounded_channel::<QueueMove>();
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
        let inner = Arc::downgrade(&runtime.inner);
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

    /// Resumes the workflow runs a previous server left unfinished, from
    /// their last completed step; critique and discussion runs, which keep
    /// no checkpoints, fail as interrupted.
    pub async fn recover(&self) -> Result<usize, AgentError> {
        let inner = &self.inner;
        let mut resumed = 0;
        for record in inner.store.unfinished_executions().await? {
            let execution = &record.execution;
            let last_seq = inner.store.last_event_seq(&execution.id).await?;
            let control = Arc::new(Control::new(
                execution.id.clone(),
                execution.kind,
                execution.workflow_id.clone(),
                execution.owner.clone(),
                record.status,
                last_seq,
            ));
            let job = match execution.kind {
                ExecutionKind::Workflow | ExecutionKind::Orchestration => recovered_job(&record),
                ExecutionKind::Critique | ExecutionKind::Discussion => Err(AgentError::Corrupt(
                    "the server restarted during this execution".into(),
                )),
            };
            inner.register(&control);
            match job {
                Ok(job) => {
                    tracing::info!(execution = %execution.id, "resuming execution after restart");
                    resumed += 1;
                    inner.spawn(control, job, true);
                }
                Err(error) => {
                    let outcome = Outcome::Failed {
                        code: ErrorCode::Interrupted,
                        error: error.to_string(),
                    };
                    inner.finish(&control, outcome).await;
                }
            }
        }
        Ok(resumed)
    }

    /// Accepts a run of a workflow the caller may see.
    pub async fn execute_workflow(
        &self,
        user: &str,
        workflow_id: &str,
        input: Value,
    ) -> Result<Accepted, AgentError> {
        self.inner.open()?;
        let entry = self
            .inner
            .catalog
            .get(Viewer::User(user), workflow_id)
            .await?;
        if entry.workflow.needs_llm() && self.inner.llm.is_none() {
            return Err(AgentError::NotConfigured);
        }
        let job = Job::Workflow {
            workflow: Box::new(entry.workflow),
            input,
            done: HashMap::new(),
        };
        self.inner
            .accept(user, ExecutionKind::Workflow, Some(entry.id), job)
            .await
    }

    /// Accepts `agent:orchestrate`: the roles in order, each building on
    /// the previous one's output, run as a generated workflow.
    pub async fn orchestrate(
        &self,
        user: &str,
        task: String,
        agents: Vec<String>,
    ) -> Result<Accepted, AgentError> {
        self.inner.open()?;
        text("task", &task)?;
        names("agents", &agents)?;
        if self.inner.llm.is_none() {
            return Err(AgentError::NotConfigured);
        }
        let workflow = orchestration(&task, &agents).validate()?;
        let workflow_id = random_id("wf");
        self.inner
            .store
            .record_owner(ResourceKind::Workflow, &workflow_id, user)
            .await?;
        let job = Job::Workflow {
            workflow: Box::new(workflow),
            input: serde_json::json!({ "task": task, "agents": agents }),
            done: HashMap::new(),
        };
        self.inner
            .accept(user, ExecutionKind::Orchestration, Some(workflow_id), job)
            .await
    }

    /// Accepts `agent:critique:execute`.
    pub async fn critique(
        &self,
        user: &str,
        request: CritiqueRequest,
    ) -> Result<Accepted, AgentError> {
        self.inner.open()?;
        if self.inner.llm.is_none() {
            return Err(AgentError::NotConfigured);
        }
        self.inner
            .accept(user, ExecutionKind::Critique, None, Job::Critique(request))
            .await
    }

    /// Accepts `agent:discussion:execute`.
    pub async fn discuss(
        &self,
        user: &str,
        request: DiscussionRequest,
    ) -> Result<Accepted, AgentError> {
        self.inner.open()?;
        if self.inner.llm.is_none() {
            return Err(AgentError::NotConfigured);
        }
        self.inner
            .accept(
                user,
                ExecutionKind::Discussion,
                None,
                Job::Discussion(request),
            )
            .await
    }

    /// Starts an accepted execution in the background.
    pub fn launch(&self, accepted: Accepted) {
        self.inner.spawn(accepted.control, accepted.job, false);
    }

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

    /// An execution's history after `after_seq`, in order.
    pub async fn history(&self, id: &str, after_seq: u64) -> Result<Vec<AgentEvent>, AgentError> {
        let Some(record) = self.inner.store.get_execution(id).await? else {
            return Err(AgentError::NotFound("Execution not found"));
        };
        let execution = &record.execution;
        self.inner
            .store
            .events_after(id, after_seq)
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

    /// Stops starting new steps of the caller's running workflow execution.
    pub async fn pause(&self, user: &str, id: &str) -> Result<(), AgentError> {
        let control = self.inner.steerable(user, id)?;
        if !matches!(
            control.kind,
            ExecutionKind::Workflow | ExecutionKind::Orchestration
        ) {
            return Err(AgentError::InvalidState(
                "Only workflow executions can be paused".into(),
            ));
        }
        if !control.transition(&[RunState::Running], RunState::Paused) {
            return Err(AgentError::InvalidState("Execution is not running".into()));
        }
        self.inner
            .set_status(&control, ExecutionStatus::Paused)
            .await;
        self.inner.emit(&control, EventBody::Paused).await;
        Ok(())
    }

    /// Lets a paused execution start steps again.
    pub async fn resume(&self, user: &str, id: &str) -> Result<(), AgentError> {
        let control = self.inner.steerable(user, id)?;
        if !control.transition(&[RunState::Paused], RunState::Running) {
            return Err(AgentError::InvalidState("Execution is not paused".into()));
        }
        let status = if control.has_slot() {
            ExecutionStatus::Running
        } else {
            ExecutionStatus::Queued
        };
        self.inner.set_status(&control, status).await;
        self.inner
            .emit(&control, EventBody::Resumed { restart: false })
            .await;
        Ok(())
    }

    /// Cancels the caller's execution; running steps are stopped (their
    /// HTTP requests aborted, their processes killed) before `cancelled`.
    pub async fn cancel(&self, user: &str, id: &str) -> Result<(), AgentError> {
        let control = self.inner.steerable(user, id)?;
        if !control.transition(&[RunState::Running, RunState::Paused], RunState::Cancelled) {
            return Err(AgentError::InvalidState(
                "Execution is already stopping".into(),
            ));
        }
        Ok(())
    }

    /// Decides an approval step that is waiting.
    pub async fn decide(
        &self,
        viewer: Viewer<'_>,
        id: &str,
        step_id: &str,
        decision: Decision,
    ) -> Result<(), AgentError> {
        self.view(viewer, id).await?;
        let control = self
            .inner
            .lock()
            .get(id)
            .cloned()
            .ok_or_else(|| AgentError::InvalidState("Execution is not running".into()))?;
        let waiting = control.take_approval(step_id).ok_or_else(|| {
            AgentError::InvalidState(format!("Step {step_id} is not waiting for approval"))
        })?;
        waiting
            .send(decision)
            .map_err(|_| AgentError::InvalidState(format!("Step {step_id} is no longer waiting")))
    }

    /// Executions holding a slot and executions waiting for one.
    pub fn counts(&self) -> (usize, usize) {
        self.inner.scheduler.counts()
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

/// The generated workflow of `agent:orchestrate`.
fn orchestration(task: &str, agents: &[String]) -> WorkflowDefinition {
    let mut steps: Vec<StepDefinition> = Vec::with_capacity(agents.len());
    for (index, role) in agents.iter().enumerate() {
        let slug: String = role
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .take(40)
            .collect();
        let id = format!(
            "{}-{}",
            index + 1,
            if slug.is_empty() { "agent" } else { &slug }
        );
        let previous = steps.last().map(|step| step.id.clone());
        let prompt = match &previous {
            None => format!("Task: {{{{input.task}}}}\n\nDo your part of this task as the {role}."),
            Some(previous) => format!(
                "Task: {{{{input.task}}}}\n\nWork so far:\n{{{{steps.{previous}.output}}}}\n\nDo your part of this task as the {role}, building on the work so far."
            ),
        };
        steps.push(StepDefinition {
            id,
            name: Some(role.clone()),
            kind: StepKind::Llm,
            depends_on: previous.into_iter().collect(),
            role: Some(role.clone()),
            system: None,
            prompt: Some(prompt),
            model: None,
            max_tokens: None,
            message: None,
            retry: None,
            timeout_ms: None,
        });
    }
    let name: String = task.chars().take(80).collect();
    WorkflowDefinition {
        id: None,
        name: format!("Orchestration: {name}"),
        description: None,
        steps,
    }
}

fn recovered_job(record: &ExecutionRecord) -> Result<Job, AgentError> {
    let corrupt = |error: String| AgentError::Corrupt(format!("{}: {error}", record.execution.id));
    let workflow = WorkflowDefinition::from_json(&record.execution.definition)
        .and_then(WorkflowDefinition::validate)
        .map_err(|error| corrupt(error.to_string()))?;
    let input =
        serde_json::from_str(&record.execution.input).map_err(|e| corrupt(e.to_string()))?;
    let mut done = HashMap::new();
    for step in &record.steps {
        if step.status == switchboard_core::StepStatus::Completed {
            let output = step
                .output
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| corrupt(e.to_string()))?
                .unwrap_or(Value::Null);
            done.insert(step.step_id.clone(), output);
        }
    }
    Ok(Job::Workflow {
        workflow: Box::new(workflow),
        input,
        done,
    })
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

    fn register(&self, control: &Arc<Control>) {
        self.lock().insert(control.id.clone(), control.clone());
        self.unfinished.send_modify(|count| *count += 1);
    }

    async fn accept(
        &self,
        user: &str,
        kind: ExecutionKind,
        workflow_id: Option<String>,
        job: Job,
    ) -> Result<Accepted, AgentError> {
        let (input, definition) = match &job {
            Job::Workflow {
                workflow, input, ..
            } => (
                input.clone(),
                serde_json::to_value(workflow.definition()).unwrap_or_default(),
            ),
            Job::Critique(request) => (
                serde_json::to_value(request).unwrap_or_default(),
                Value::Null,
            ),
            Job::Discussion(request) => (
                serde_json::to_value(request).unwrap_or_default(),
                Value::Null,
            ),
        };
        let execution = NewExecution {
            id: random_id("exec"),
            kind,
            workflow_id: workflow_id.clone(),
            owner: user.to_owned(),
            input: input.to_string(),
            definition: definition.to_string(),
            created_at: Utc::now(),
        };
        self.store
            .insert_execution(&execution, ExecutionStatus::Queued)
            .await?;
        let control = Arc::new(Control::new(
            execution.id.clone(),
            kind,
            workflow_id.clone(),
            user.to_owned(),
            ExecutionStatus::Queued,
            0,
        ));
        self.register(&control);
        tracing::info!(execution = %execution.id, kind = kind.as_str(), user, "execution accepted");
        Ok(Accepted {
            execution_id: execution.id,
            workflow_id,
            control,
            job,
        })
    }

    /// The live execution `id`, if `user` owns it.
    fn steerable(&self, user: &str, id: &str) -> Result<Arc<Control>, AgentError> {
        let control = self
            .lock()
            .get(id)
            .cloned()
            .ok_or_else(|| AgentError::InvalidState("Execution is not active".into()))?;
        if control.owner != user {
            return Err(AgentError::NotFound("Execution not found"));
        }
        Ok(control)
    }

    fn spawn(self: &Arc<Self>, control: Arc<Control>, job: Job, restart: bool) {
        let inner = self.clone();
        tokio::spawn(async move {
            let outcome = inner.run(&control, job, restart).await;
            inner.finish(&control, outcome).await;
        });
    }

    async fn run(self: &Arc<Self>, control: &Arc<Control>, job: Job, restart: bool) -> Outcome {
        let admission = self
            .scheduler
            .admit(ProcessId::from_raw(control.id.clone()), &control.owner);
        let _slot = match admission {
            Admission::Started(slot) => slot,
            Admission::Queued { mut ticket, .. } => {
                tokio::select! {
                    slot = ticket.slot() => match slot {
                        Some(slot) => slot,
                        None => return Outcome::Stopped,
                    },
                    state = control.interrupted() => return stopped(state),
                }
            }
        };
        control.took_slot();
        if control.status() != ExecutionStatus::Paused {
            self.set_status(control, ExecutionStatus::Running).await;
        }
        let first = if restart {
            EventBody::Resumed { restart: true }
        } else {
            EventBody::Started
        };
        self.emit(control, first).await;
        match job {
            Job::Workflow {
                workflow,
                input,
                done,
            } => workflow_run::drive(self, control, &workflow, &input, done).await,
            Job::Critique(request) => critique::run(self, control, &request)
                .await
                .unwrap_or_else(|ended| ended),
            Job::Discussion(request) => discussion::run(self, control, &request)
                .await
                .unwrap_or_else(|ended| ended),
        }
    }

    /// Stores the final status, sends the final event, forgets the run.
    async fn finish(&self, control: &Arc<Control>, outcome: Outcome) {
        let now = Utc::now();
        let (status, result, error, event) = match outcome {
            Outcome::Stopped => {
                tracing::info!(execution = %control.id, "execution stopped for shutdown; it resumes at restart");
                self.forget(control);
                return;
            }
            Outcome::Done { result, event } => (
                ExecutionStatus::Completed,
                Some(result.to_string()),
                None,
                event,
            ),
            Outcome::Failed { code, error } => (
                ExecutionStatus::Failed,
                None,
                Some(error.clone()),
                EventBody::Failed {
                    code: code.as_str().to_owned(),
                    error,
                },
            ),
            Outcome::Cancelled => (
                ExecutionStatus::Cancelled,
                None,
                Some("Cancelled by its owner".to_owned()),
                EventBody::Cancelled,
            ),
        };
        control.set_status(status);
        if let Err(error) = self
            .store
            .set_execution_status(
                &control.id,
                status,
                result.as_deref(),
                error.as_deref(),
                now,
            )
            .await
        {
            tracing::error!(execution = %control.id, %error, "cannot store the execution's end");
        }
        tracing::info!(execution = %control.id, status = status.as_str(), "execution finished");
        self.emit(control, event).await;
        self.forget(control);
    }

    fn forget(&self, control: &Control) {
        self.lock().remove(&control.id);
        self.unfinished
            .send_modify(|count| *count = count.saturating_sub(1));
    }

    pub(crate) async fn set_status(&self, control: &Control, status: ExecutionStatus) {
        control.set_status(status);
        if let Err(error) = self
            .store
            .set_execution_status(&control.id, status, None, None, Utc::now())
            .await
        {
            tracing::error!(execution = %control.id, %error, "cannot store the execution's status");
        }
    }

    /// Writes a step checkpoint; a failure is logged (the run goes on, and
    /// at worst the step runs again after a restart).
    pub(crate) async fn checkpoint(&self, control: &Control, step: StepRecord) {
        if let Err(error) = self.store.save_step(&control.id, &step).await {
            tracing::error!(execution = %control.id, step = %step.step_id, %error, "cannot store a step checkpoint");
        }
    }

    /// Stores the event in the history, then sends it.
    pub(crate) async fn emit(&self, control: &Control, body: EventBody) {
        let mut seq = control.seq.lock().await;
        *seq += 1;
        let at = Utc::now();
        let stored = EventRecord {
            seq: *seq,
            body: serde_json::to_string(&body).unwrap_or_default(),
            at,
        };
        if let Err(error) = self.store.append_event(&control.id, &stored).await {
            tracing::error!(execution = %control.id, %error, "cannot store an execution event");
        }
        let event = AgentEvent {
            execution_id: control.id.clone(),
            workflow_id: control.workflow_id.clone(),
            owner: control.owner.clone(),
            kind: control.kind,
            seq: *seq,
            at,
            body,
        };
        let events = self
            .events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if let Some(events) = events
            && events.send(event).await.is_err()
        {
            tracing::debug!(execution = %control.id, "no listener for agent events");
        }
    }

    /// Asks the model once, within the step timeout, stopping early when
    /// the run is cancelled or the server stops.
    pub(crate) async fn ask(
        &self,
        control: &Control,
        system: String,
        prompt: String,
    ) -> Result<String, Outcome> {
        let Some(llm) = &self.llm else {
            return Err(Outcome::Failed {
                code: ErrorCode::LlmNotConfigured,
                error: AgentError::NotConfigured.to_string(),
            });
        };
        let request = LlmRequest {
            system: Some(system),
            prompt,
            model: None,
            max_tokens: None,
            user: Some(control.owner.clone()),
        };
        let call = tokio::time::timeout(self.step_timeout, llm.complete(&request, &|_| {}));
        tokio::select! {
            answer = call => match answer {
                Ok(Ok(completion)) => Ok(completion.text),
                Ok(Err(error)) => Err(Outcome::Failed { code: ErrorCode::LlmError, error: error.to_string() }),
                Err(_) => Err(Outcome::Failed {
                    code: ErrorCode::Timeout,
                    error: format!("The model did not answer within {} ms", self.step_timeout.as_millis()),
                }),
            },
            state = control.interrupted() => Err(stopped(state)),
        }
    }
}

/// The outcome of a run interrupted in `state`.
pub(crate) fn stopped(state: RunState) -> Outcome {
    match state {
        RunState::Cancelled => Outcome::Cancelled,
        _ => Outcome::Stopped,
    }
}
