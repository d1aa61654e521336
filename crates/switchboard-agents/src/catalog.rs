//! Workflow definitions: those loaded from the workflows folder (read-only,
//! shared with every user) and those created over HTTP (stored; owned by the
//! user who created them, or shared when a backend created them).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use switchboard_core::process::random_id;
use switchboard_store::{Store, WorkflowRecord};

use crate::definition::{DefinitionError, Workflow, WorkflowDefinition};
use crate::error::AgentError;

/// A definition as listed.
#[derive(Debug, Clone)]
pub struct WorkflowEntry {
    /// `wf_...`.
    pub id: String,
    /// Owner; `None` when shared.
    pub owner: Option<String>,
    /// Loaded from the workflows folder (cannot be changed over HTTP).
    pub from_file: bool,
    /// The validated definition.
    pub workflow: Workflow,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Who is asking: a user, or a backend (API key) that sees everything.
#[derive(Debug, Clone, Copy)]
pub enum Viewer<'a> {
    /// A JWT user.
    User(&'a str),
    /// A backend or an admin.
    Backend,
}

impl Viewer<'_> {
    fn may_see(&self, owner: Option<&str>) -> bool {
        match (self, owner) {
            (Viewer::Backend, _) | (_, None) => true,
            (Viewer::User(user), Some(owner)) => *user == owner,
        }
    }

    fn may_change(&self, owner: Option<&str>) -> bool {
        match (self, owner) {
            (Viewer::Backend, _) => true,
            (Viewer::User(user), Some(owner)) => *user == owner,
            (Viewer::User(_), None) => false,
        }
    }
}

/// The definitions a node knows.
#[derive(Debug)]
pub struct Catalog {
    store: Store,
    files: BTreeMap<String, WorkflowEntry>,
}

impl Catalog {
    /// Loads every `*.yaml`, `*.yml` and `*.json` file of `dir`. A file that
    /// does not validate stops the start with its name and the reason.
    pub fn load(store: Store, dir: Option<&Path>) -> Result<Self, AgentError> {
        let mut files = BTreeMap::new();
        if let Some(dir) = dir {
            let mut paths: Vec<_> = std::fs::read_dir(dir)
                .map_err(|error| {
                    AgentError::Invalid(format!("workflows_dir {}: {error}", dir.display()))
                })?
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .collect();
            paths.sort();
            let now = Utc::now();
            for path in paths {
                let extension = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or_default();
                let parsed = match extension {
                    "yaml" | "yml" => std::fs::read_to_string(&path)
                        .map_err(|e| DefinitionError::Parse(e.to_string()))
                        .and_then(|text| WorkflowDefinition::from_yaml(&text)),
                    "json" => std::fs::read_to_string(&path)
                        .map_err(|e| DefinitionError::Parse(e.to_string()))
                        .and_then(|text| WorkflowDefinition::from_json(&text)),
                    _ => continue,
                };
                let invalid = |error: DefinitionError| {
                    AgentError::Invalid(format!("workflow file {}: {error}", path.display()))
                };
                let definition = parsed.map_err(invalid)?;
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("workflow");
                let id = match &definition.id {
                    Some(id) if id.starts_with("wf_") => id.clone(),
                    Some(id) => format!("wf_{id}"),
                    None => format!("wf_{stem}"),
                };
                let workflow = definition.validate().map_err(invalid)?;
                tracing::info!(workflow = %id, file = %path.display(), "workflow loaded");
                files.insert(
                    id.clone(),
                    WorkflowEntry {
                        id,
                        owner: None,
                        from_file: true,
                        workflow,
                        created_at: now,
                        updated_at: now,
                    },
                );
            }
        }
        Ok(Catalog { store, files })
    }

    /// Validates and stores a new definition.
    pub async fn create(
        &self,
        viewer: Viewer<'_>,
        mut definition: WorkflowDefinition,
    ) -> Result<WorkflowEntry, AgentError> {
        // Ids of stored workflows are generated; a file id means nothing here.
        definition.id = None;
        let workflow = definition.validate()?;
        let now = Utc::now();
        let owner = match viewer {
            Viewer::User(user) => Some(user.to_owned()),
            Viewer::Backend => None,
        };
        let record = WorkflowRecord {
            id: random_id("wf"),
            owner,
            definition: to_json(&workflow),
            created_at: now,
            updated_at: now,
        };
        self.store.insert_workflow(&record).await?;
        Ok(WorkflowEntry {
            id: record.id,
            owner: record.owner,
            from_file: false,
            workflow,
            created_at: now,
            updated_at: now,
        })
    }

    /// The definitions `viewer` may see.
    pub async fn list(&self, viewer: Viewer<'_>) -> Result<Vec<WorkflowEntry>, AgentError> {
        let user = match viewer {
            Viewer::User(user) => Some(user),
            Viewer::Backend => None,
        };
        let mut entries: Vec<WorkflowEntry> = self.files.values().cloned().collect();
        for record in self.store.list_workflows(user).await? {
            entries.push(from_record(record)?);
        }
        Ok(entries)
    }

    /// One definition `viewer` may see.
    pub async fn get(&self, viewer: Viewer<'_>, id: &str) -> Result<WorkflowEntry, AgentError> {
        let entry = match self.files.get(id) {
            Some(entry) => entry.clone(),
            None => match self.store.get_workflow(id).await? {
                Some(record) => from_record(record)?,
                None => return Err(AgentError::NotFound("Workflow not found")),
            },
        };
        if !viewer.may_see(entry.owner.as_deref()) {
            return Err(AgentError::NotFound("Workflow not found"));
        }
        Ok(entry)
    }

    /// Replaces a stored definition.
    pub async fn update(
        &self,
        viewer: Viewer<'_>,
        id: &str,
        mut definition: WorkflowDefinition,
    ) -> Result<WorkflowEntry, AgentError> {
        let mut entry = self.changeable(viewer, id).await?;
        definition.id = None;
        entry.workflow = definition.validate()?;
        entry.updated_at = Utc::now();
        self.store
            .update_workflow(id, &to_json(&entry.workflow), entry.updated_at)
            .await?;
        Ok(entry)
    }

    /// Deletes a stored definition; its executions keep their snapshot.
    pub async fn delete(&self, viewer: Viewer<'_>, id: &str) -> Result<(), AgentError> {
        self.changeable(viewer, id).await?;
        self.store.delete_workflow(id).await?;
        Ok(())
    }

    async fn changeable(&self, viewer: Viewer<'_>, id: &str) -> Result<WorkflowEntry, AgentError> {
        let entry = self.get(viewer, id).await?;
        if entry.from_file {
            return Err(AgentError::InvalidState(
                "Workflow is defined in the workflows folder; change the file instead".into(),
            ));
        }
        if !viewer.may_change(entry.owner.as_deref()) {
            return Err(AgentError::AccessDenied);
        }
        Ok(entry)
    }
}

fn to_json(workflow: &Workflow) -> String {
    serde_json::to_string(workflow.definition()).unwrap_or_default()
}

fn from_record(record: WorkflowRecord) -> Result<WorkflowEntry, AgentError> {
    let workflow = WorkflowDefinition::from_json(&record.definition)
        .and_then(WorkflowDefinition::validate)
        .map_err(|error| AgentError::Corrupt(format!("workflow {}: {error}", record.id)))?;
    Ok(WorkflowEntry {
        id: record.id,
        owner: record.owner,
        from_file: false,
        workflow,
        created_at: record.created_at,
        updated_at: record.updated_at,
    })
}
