//! Recovery after a restart: workflow runs a previous server left unfinished
//! resume from their last completed step; critiques and discussions, which
//! keep no checkpoints, end as interrupted.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use switchboard_core::{ErrorCode, ExecutionKind, StepStatus};
use switchboard_store::ExecutionRecord;

use super::AgentRuntime;
use super::lifecycle::{Job, Outcome};
use crate::control::Control;
use crate::definition::WorkflowDefinition;
use crate::error::AgentError;

impl AgentRuntime {
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
}

/// A stored workflow run's job: its definition, its input, and the outputs
/// of the steps it completed, which are not run again.
fn recovered_job(record: &ExecutionRecord) -> Result<Job, AgentError> {
    let corrupt = |error: String| AgentError::Corrupt(format!("{}: {error}", record.execution.id));
    let workflow = WorkflowDefinition::from_json(&record.execution.definition)
        .and_then(WorkflowDefinition::validate)
        .map_err(|error| corrupt(error.to_string()))?;
    let input =
        serde_json::from_str(&record.execution.input).map_err(|e| corrupt(e.to_string()))?;
    let mut done = HashMap::new();
    for step in &record.steps {
        if step.status == StepStatus::Completed {
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
