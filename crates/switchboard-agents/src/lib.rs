//! Switchboard's agent runtime (SPEC §6): LLM providers, workflow
//! definitions and their durable executions, critique and discussion loops.
//! It never imports axum or socketioxide: it reports what happens as
//! [`AgentEvent`]s and the gateway decides how clients hear about it.

pub mod catalog;
mod control;
mod critique;
pub mod definition;
mod discussion;
mod error;
pub mod event;
pub mod llm;
pub mod roles;
mod runtime;
pub mod template;
pub mod verdict;
mod workflow_run;

pub use catalog::{Catalog, Viewer, WorkflowEntry};
pub use control::Decision;
pub use definition::{Workflow, WorkflowDefinition};
pub use error::AgentError;
pub use event::{AgentEvent, EventBody};
pub use runtime::{
    Accepted, AgentRuntime, CritiqueRequest, DiscussionRequest, ExecutionView, Target,
};
