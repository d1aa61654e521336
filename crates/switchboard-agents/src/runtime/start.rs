//! Starting executions: a workflow run, an orchestration (a workflow
//! generated from a list of roles), a critique or a discussion is checked,
//! stored as queued and registered, then launched once the requester has
//! answered.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;
use switchboard_core::process::random_id;
use switchboard_core::{ExecutionKind, ExecutionStatus, ResourceKind};
use switchboard_store::NewExecution;

use super::lifecycle::Job;
use super::request::{CritiqueRequest, DiscussionRequest, names, text};
use super::{AgentRuntime, Inner};
use crate::catalog::Viewer;
use crate::control::Control;
use crate::definition::{StepDefinition, StepKind, WorkflowDefinition};
use crate::error::AgentError;

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

impl AgentRuntime {
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
}

impl Inner {
    /// Stores a new execution as queued and registers it as live.
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
