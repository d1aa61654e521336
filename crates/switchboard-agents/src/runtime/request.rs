//! The bodies of `agent:critique:execute` and `agent:discussion:execute`,
//! and the size limits every request's text, names and round counts are
//! checked against before anything is stored.

use serde::{Deserialize, Serialize};

use crate::error::AgentError;

/// Longest task, content or topic text accepted.
const MAX_TEXT: usize = 100_000;
/// Most agents, criteria or participants in one request.
const MAX_NAMES: usize = 10;
/// Most iterations or rounds a client may ask for.
const MAX_ROUNDS: u32 = 10;

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

/// Checks a free-text field: a task, a draft or a topic.
pub(super) fn text(field: &str, value: &str) -> Result<(), AgentError> {
    let length = value.chars().count();
    if value.trim().is_empty() || length > MAX_TEXT {
        return Err(AgentError::Invalid(format!(
            "{field} must be 1..{MAX_TEXT} characters"
        )));
    }
    Ok(())
}

/// Checks a list of role or criterion names.
pub(super) fn names(field: &str, values: &[String]) -> Result<(), AgentError> {
    let valid = |name: &String| !name.trim().is_empty() && name.chars().count() <= 64;
    if values.is_empty() || values.len() > MAX_NAMES || !values.iter().all(valid) {
        return Err(AgentError::Invalid(format!(
            "{field} must be 1..{MAX_NAMES} names of 1..64 characters"
        )));
    }
    Ok(())
}

/// An iteration or round count, `default` when the client gave none.
fn rounds(field: &str, value: Option<u32>, default: u32) -> Result<u32, AgentError> {
    match value.unwrap_or(default) {
        n @ 1..=MAX_ROUNDS => Ok(n),
        _ => Err(AgentError::Invalid(format!(
            "{field} must be 1..={MAX_ROUNDS}"
        ))),
    }
}
