//! What executions report, in order. Each event is stored in the
//! execution's history before it is sent, so history plus live events never
//! leave a gap; the serde form here is the storage form, not the wire form.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_core::ExecutionKind;

/// One event of one execution.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentEvent {
    /// The execution.
    pub execution_id: String,
    /// The workflow it runs, if any.
    pub workflow_id: Option<String>,
    /// Who started it.
    pub owner: String,
    /// What it runs.
    pub kind: ExecutionKind,
    /// 1-based position in the execution's history.
    pub seq: u64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub body: EventBody,
}

/// The kinds of [`AgentEvent`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventBody {
    /// Waiting for a concurrency slot at this 0-based position.
    Queued {
        /// The position.
        position: usize,
    },
    /// The execution holds a slot and runs.
    Started,
    /// A step began.
    StepStarted {
        /// The step.
        step_id: String,
        /// Its display name.
        step_name: String,
        /// `llm` or `approval`.
        step_kind: String,
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// A step streamed text, or waits for a decision.
    StepProgress {
        /// The step.
        step_id: String,
        /// New text, for llm steps.
        delta: Option<String>,
        /// The step's own progress in percent: 0 at its start, growing
        /// while it streams, 100 when its answer is complete.
        progress: u8,
        /// Percent of the workflow's steps completed.
        #[serde(default)]
        workflow_progress: u8,
        /// For approval steps: what the approver is asked.
        awaiting_approval: Option<String>,
    },
    /// A step finished; its output is checkpointed.
    StepCompleted {
        /// The step.
        step_id: String,
        /// Its display name.
        step_name: String,
        /// Its output.
        output: Value,
        /// Percent of the workflow's steps completed.
        progress: u8,
    },
    /// A step attempt failed.
    StepFailed {
        /// The step.
        step_id: String,
        /// Its display name.
        step_name: String,
        /// Why.
        error: String,
        /// Which attempt failed.
        attempt: u32,
        /// Whether another attempt follows.
        will_retry: bool,
    },
    /// No new step starts until resumed.
    Paused,
    /// Steps may start again; `restart` when the server restarted.
    Resumed {
        /// Whether this resumption follows a server restart.
        restart: bool,
    },
    /// Every step completed.
    Completed {
        /// Output per step.
        results: Value,
    },
    /// The execution failed.
    Failed {
        /// An `ErrorCode` spelling.
        code: String,
        /// Why.
        error: String,
    },
    /// Stopped by its owner.
    Cancelled,
    /// A critique round: scores of the current draft.
    CritiqueIteration {
        /// From 1.
        iteration: u32,
        /// Score per criterion, 0..=10.
        scores: BTreeMap<String, f64>,
        /// Their mean.
        average: f64,
        /// What to improve.
        feedback: String,
        /// The draft that was scored.
        content: String,
        /// Whether the critic answered in JSON.
        structured: bool,
    },
    /// Every criterion reached the threshold.
    CritiqueConverged {
        /// Iterations it took.
        iterations: u32,
        /// The passing scores.
        scores: BTreeMap<String, f64>,
    },
    /// The critique loop ended.
    CritiqueCompleted {
        /// The best-scoring draft.
        result: String,
        /// Iterations run.
        iterations: u32,
        /// The best draft's scores.
        scores: BTreeMap<String, f64>,
        /// Whether the threshold was reached.
        converged: bool,
        /// Which iteration scored the best draft.
        best_iteration: u32,
    },
    /// A discussion round began.
    RoundStarted {
        /// From 1.
        round: u32,
    },
    /// One participant spoke.
    Contribution {
        /// The round.
        round: u32,
        /// The participant's role.
        role: String,
        /// What they said.
        contribution: String,
    },
    /// Every participant spoke and the judge ruled.
    RoundCompleted {
        /// The round.
        round: u32,
        /// The judge's verdict.
        consensus: bool,
        /// The judge's confidence, when given.
        confidence: Option<f64>,
        /// The judge's reasoning.
        summary: String,
    },
    /// The judge found consensus.
    DiscussionConverged {
        /// The round it was reached in.
        round: u32,
        /// The judge's reasoning.
        summary: String,
    },
    /// The discussion ended with a synthesis.
    DiscussionCompleted {
        /// The final synthesis.
        synthesis: String,
        /// Whether the judge found consensus.
        consensus_reached: bool,
        /// Rounds held.
        rounds: u32,
    },
}

impl EventBody {
    /// Whether this event ends the execution.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            EventBody::Completed { .. }
                | EventBody::Failed { .. }
                | EventBody::Cancelled
                | EventBody::CritiqueCompleted { .. }
                | EventBody::DiscussionCompleted { .. }
        )
    }
}
