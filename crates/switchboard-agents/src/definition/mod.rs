//! Workflow definitions: `{name, description?, steps:[{id, name, kind,
//! dependsOn?, ...}]}` in JSON or YAML, validated into a [`Workflow`] whose
//! steps form a DAG and whose templates only read what is ready.

mod dag;

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::template::{Template, TemplateError};

/// Most steps one workflow may have.
const MAX_STEPS: usize = 100;
/// Most attempts a step's retry policy may ask for.
const MAX_ATTEMPTS: u32 = 10;

/// A workflow definition as written by its author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkflowDefinition {
    /// The id, for definitions loaded from files (`wf_` is prefixed when missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A human name.
    pub name: String,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The steps; order only matters for display.
    pub steps: Vec<StepDefinition>,
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// Ask the model.
    #[default]
    Llm,
    /// Wait for a human decision.
    Approval,
}

impl StepKind {
    /// The definition spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Llm => "llm",
            StepKind::Approval => "approval",
        }
    }
}

/// One step as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StepDefinition {
    /// Unique within the workflow: letters, digits, `_` and `-`.
    pub id: String,
    /// A human name (defaults to the id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `llm` (default) or `approval`.
    #[serde(default)]
    pub kind: StepKind,
    /// Steps that must complete first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// `llm`: a role whose built-in or configured prompt becomes the system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `llm`: a system prompt (templated), added after the role's.
    #[serde(
        default,
        alias = "systemPrompt",
        skip_serializing_if = "Option::is_none"
    )]
    pub system: Option<String>,
    /// `llm`: the prompt (templated); required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// `llm`: overrides the configured model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `llm`: output token cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// `approval`: what the approver is asked (templated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// How often a failing attempt is repeated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryPolicy>,
    /// Time limit of one attempt (an approval's whole wait).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// A step's retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, 1..=10.
    pub max_attempts: u32,
    /// Wait before the second attempt, doubled for each later one (default 1000).
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
}

fn default_backoff_ms() -> u64 {
    1000
}

/// Why a definition was refused. Messages name the step and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    /// Not JSON/YAML of the right shape.
    #[error("invalid workflow definition: {0}")]
    Parse(String),
    /// `name` is empty.
    #[error("name must not be empty")]
    EmptyName,
    /// No steps, or too many.
    #[error("a workflow needs 1 to {MAX_STEPS} steps, this one has {0}")]
    StepCount(usize),
    /// An id that is empty or has characters other than letters, digits, `_`, `-`.
    #[error("step id `{0}` must be 1..64 letters, digits, `_` or `-`")]
    BadStepId(String),
    /// Two steps share an id.
    #[error("step id `{0}` is used twice")]
    DuplicateStep(String),
    /// `dependsOn` names no step.
    #[error("step `{step}` depends on unknown step `{dependency}`")]
    UnknownDependency {
        /// The step.
        step: String,
        /// The missing dependency.
        dependency: String,
    },
    /// The steps cannot be ordered.
    #[error("steps form a cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
    /// An `llm` step without a prompt.
    #[error("step `{0}` is an llm step and needs a prompt")]
    MissingPrompt(String),
    /// A template does not parse.
    #[error("step `{step}` field `{field}`: {error}")]
    Template {
        /// The step.
        step: String,
        /// `prompt`, `system` or `message`.
        field: &'static str,
        /// What is wrong.
        error: TemplateError,
    },
    /// A template reads a step that is not guaranteed to be done first.
    #[error(
        "step `{step}` reads steps.{reference}.output but does not depend on `{reference}` (add it to dependsOn)"
    )]
    NotADependency {
        /// The step.
        step: String,
        /// The step it reads.
        reference: String,
    },
    /// A retry policy or timeout out of range.
    #[error("step `{step}`: {message}")]
    Limits {
        /// The step.
        step: String,
        /// What is out of range.
        message: String,
    },
}

/// A validated workflow, ready to run.
#[derive(Debug, Clone)]
pub struct Workflow {
    definition: WorkflowDefinition,
    steps: Vec<Step>,
}

/// A validated step.
#[derive(Debug, Clone)]
pub struct Step {
    /// As written.
    pub definition: StepDefinition,
    /// Its prompt (llm) or message (approval), parsed.
    pub prompt: Option<Template>,
    /// Its system prompt, parsed.
    pub system: Option<Template>,
}

impl Step {
    /// The step's id.
    pub fn id(&self) -> &str {
        &self.definition.id
    }

    /// The display name.
    pub fn name(&self) -> &str {
        self.definition
            .name
            .as_deref()
            .unwrap_or(&self.definition.id)
    }

    /// How many attempts, and the first backoff.
    pub fn attempts(&self) -> (u32, Duration) {
        self.definition.retry.map_or((1, Duration::ZERO), |retry| {
            (retry.max_attempts, Duration::from_millis(retry.backoff_ms))
        })
    }
}

impl WorkflowDefinition {
    /// Parses JSON text.
    pub fn from_json(text: &str) -> Result<Self, DefinitionError> {
        serde_json::from_str(text).map_err(|error| DefinitionError::Parse(error.to_string()))
    }

    /// Parses YAML text.
    pub fn from_yaml(text: &str) -> Result<Self, DefinitionError> {
        serde_yaml_ng::from_str(text).map_err(|error| DefinitionError::Parse(error.to_string()))
    }

    /// Checks everything that can be checked before running.
    pub fn validate(self) -> Result<Workflow, DefinitionError> {
        if self.name.trim().is_empty() {
            return Err(DefinitionError::EmptyName);
        }
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            return Err(DefinitionError::StepCount(self.steps.len()));
        }
        let mut ids = HashSet::new();
        for step in &self.steps {
            let id = &step.id;
            let valid = (1..=64).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid {
                return Err(DefinitionError::BadStepId(id.clone()));
            }
            if !ids.insert(id.as_str()) {
                return Err(DefinitionError::DuplicateStep(id.clone()));
            }
        }
        for step in &self.steps {
            for dependency in &step.depends_on {
                if !ids.contains(dependency.as_str()) {
                    return Err(DefinitionError::UnknownDependency {
                        step: step.id.clone(),
                        dependency: dependency.clone(),
                    });
                }
            }
        }
        let ancestors = dag::ancestors(&self.steps)?;
        let mut steps = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            steps.push(validate_step(step, &ancestors[step.id.as_str()])?);
        }
        Ok(Workflow {
            definition: self,
            steps,
        })
    }
}

impl Workflow {
    /// The definition as written.
    pub fn definition(&self) -> &WorkflowDefinition {
        &self.definition
    }

    /// The steps in definition order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Whether any step needs the model.
    pub fn needs_llm(&self) -> bool {
        self.steps
            .iter()
            .any(|step| step.definition.kind == StepKind::Llm)
    }
}

fn validate_step(
    step: &StepDefinition,
    ancestors: &BTreeSet<&str>,
) -> Result<Step, DefinitionError> {
    let limits = |message: String| DefinitionError::Limits {
        step: step.id.clone(),
        message,
    };
    if let Some(retry) = step.retry
        && !(1..=MAX_ATTEMPTS).contains(&retry.max_attempts)
    {
        return Err(limits(format!(
            "retry.maxAttempts must be 1..={MAX_ATTEMPTS}"
        )));
    }
    if step.timeout_ms == Some(0) {
        return Err(limits("timeoutMs must be greater than 0".into()));
    }
    let parse = |field: &'static str, text: &Option<String>| {
        text.as_deref()
            .map(Template::parse)
            .transpose()
            .map_err(|error| DefinitionError::Template {
                step: step.id.clone(),
                field,
                error,
            })
    };
    let (prompt, system) = match step.kind {
        StepKind::Llm => {
            if step.prompt.as_deref().is_none_or(|p| p.trim().is_empty()) {
                return Err(DefinitionError::MissingPrompt(step.id.clone()));
            }
            (
                parse("prompt", &step.prompt)?,
                parse("system", &step.system)?,
            )
        }
        StepKind::Approval => (parse("message", &step.message)?, None),
    };
    for template in prompt.iter().chain(system.iter()) {
        if let Some(reference) = template
            .step_references()
            .find(|reference| !ancestors.contains(reference))
        {
            return Err(DefinitionError::NotADependency {
                step: step.id.clone(),
                reference: reference.to_owned(),
            });
        }
    }
    Ok(Step {
        definition: step.clone(),
        prompt,
        system,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Workflow, DefinitionError> {
        WorkflowDefinition::from_yaml(yaml)?.validate()
    }

    #[test]
    fn accepts_a_dag_in_yaml_and_json() {
        let workflow = parse(
            "name: Blog post\nsteps:\n  - id: research\n    kind: llm\n    role: researcher\n    prompt: Research {{input.topic}}\n  - id: outline\n    prompt: Outline {{input.topic}}\n  - id: draft\n    dependsOn: [research, outline]\n    prompt: \"{{steps.research.output}} {{steps.outline.output}}\"\n  - id: review\n    kind: approval\n    dependsOn: [draft]\n    message: Publish {{steps.draft.output}}?\n    timeoutMs: 1000\n",
        )
        .expect("valid");
        assert_eq!(workflow.steps().len(), 4);
        assert!(workflow.needs_llm());
        let json = serde_json::to_string(workflow.definition()).expect("serializes");
        let again = WorkflowDefinition::from_json(&json).expect("round trips");
        assert_eq!(&again, workflow.definition());
    }

    #[test]
    fn refuses_what_cannot_run() {
        let err = |yaml: &str| parse(yaml).expect_err("refused").to_string();
        assert!(err("name: x\nsteps: []\n").contains("1 to 100 steps"));
        assert!(err("name: ' '\nsteps: [{id: a, prompt: p}]\n").contains("name"));
        assert!(
            err("name: x\nsteps: [{id: a, prompt: p}, {id: a, prompt: q}]\n")
                .contains("`a` is used twice")
        );
        assert!(
            err("name: x\nsteps: [{id: a, prompt: p, dependsOn: [ghost]}]\n")
                .contains("depends on unknown step `ghost`")
        );
        assert_eq!(
            err(
                "name: x\nsteps: [{id: a, prompt: p, dependsOn: [c]}, {id: b, prompt: p, dependsOn: [a]}, {id: c, prompt: p, dependsOn: [b]}]\n"
            ),
            "steps form a cycle: a -> c -> b -> a"
        );
        assert!(err("name: x\nsteps: [{id: a, prompt: p, dependsOn: [a]}]\n").contains("cycle"));
        assert!(err("name: x\nsteps: [{id: a}]\n").contains("needs a prompt"));
        assert!(
            err("name: x\nsteps: [{id: a, prompt: '{{nope}}'}]\n")
                .contains("unknown placeholder `{{nope}}`")
        );
        assert!(
            err("name: x\nsteps: [{id: a, prompt: p}, {id: b, prompt: '{{steps.a.output}}'}]\n")
                .contains("does not depend on `a`")
        );
        assert!(err("name: x\nsteps: [{id: a, prompt: p, colour: red}]\n").contains("colour"));
        assert!(
            err("name: x\nsteps: [{id: a, prompt: p, retry: {maxAttempts: 0}}]\n")
                .contains("maxAttempts")
        );
        assert!(err("name: x\nsteps: [{id: 'a b', prompt: p}]\n").contains("`a b`"));
    }

    #[test]
    fn transitive_dependencies_may_be_read() {
        parse("name: x\nsteps: [{id: a, prompt: p}, {id: b, prompt: p, dependsOn: [a]}, {id: c, prompt: '{{steps.a.output}}', dependsOn: [b]}]\n")
            .expect("a is an ancestor of c");
    }
}
