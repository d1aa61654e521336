//! Agent runtime records: workflow definitions, executions, their step
//! checkpoints and event history. Definitions, inputs, outputs and events
//! are JSON text the runtime owns; the store keeps them verbatim.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use switchboard_core::{ExecutionKind, ExecutionStatus, ResourceKind, StepStatus};

use crate::{Store, StoreError};

/// A stored workflow definition.
#[derive(Debug, Clone)]
pub struct WorkflowRecord {
    /// `wf_...`.
    pub id: String,
    /// Who created it; `None` for definitions shared with every user.
    pub owner: Option<String>,
    /// The definition as JSON.
    pub definition: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new execution.
#[derive(Debug, Clone)]
pub struct NewExecution {
    /// `exec_...`.
    pub id: String,
    /// What it runs.
    pub kind: ExecutionKind,
    /// The workflow it runs, if any.
    pub workflow_id: Option<String>,
    /// Who started it.
    pub owner: String,
    /// The caller's input as JSON.
    pub input: String,
    /// What exactly runs, as JSON: a snapshot, so later edits of the
    /// workflow never change a run in flight.
    pub definition: String,
    /// When it was accepted.
    pub created_at: DateTime<Utc>,
}

/// One step's checkpoint.
#[derive(Debug, Clone)]
pub struct StepRecord {
    /// The step.
    pub step_id: String,
    /// Where it is.
    pub status: StepStatus,
    /// Its output as JSON, once completed.
    pub output: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Attempts made so far.
    pub attempts: u32,
    /// When this record last changed.
    pub updated_at: DateTime<Utc>,
}

/// A stored execution with its step checkpoints.
#[derive(Debug, Clone)]
pub struct ExecutionRecord {
    /// What was started.
    pub execution: NewExecution,
    /// Its last status.
    pub status: ExecutionStatus,
    /// Its result as JSON, once completed.
    pub result: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Steps that started, in no particular order.
    pub steps: Vec<StepRecord>,
}

/// One entry of an execution's event history.
#[derive(Debug, Clone)]
pub struct EventRecord {
    /// 1-based position in the execution's history.
    pub seq: u64,
    /// The event as JSON.
    pub body: String,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl Store {
    /// Stores a new workflow definition.
    pub async fn insert_workflow(&self, workflow: &WorkflowRecord) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO workflows (id, owner, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&workflow.id)
        .bind(&workflow.owner)
        .bind(&workflow.definition)
        .bind(workflow.created_at.to_rfc3339())
        .bind(workflow.updated_at.to_rfc3339())
        .execute(&mut *tx)
        .await?;
        if let Some(owner) = &workflow.owner {
            sqlx::query(
                "INSERT OR IGNORE INTO resource_owners (kind, id, user_id) VALUES (?, ?, ?)",
            )
            .bind(ResourceKind::Workflow.as_str())
            .bind(&workflow.id)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a definition; false when there is no such workflow.
    pub async fn update_workflow(
        &self,
        id: &str,
        definition: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE workflows SET definition = ?, updated_at = ? WHERE id = ?")
            .bind(definition)
            .bind(at.to_rfc3339())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a definition; false when there was none. Executions keep
    /// their own snapshot.
    pub async fn delete_workflow(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM workflows WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// One workflow definition.
    pub async fn get_workflow(&self, id: &str) -> Result<Option<WorkflowRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM workflows WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(workflow_from_row).transpose()
    }

    /// The definitions `user` may see: shared ones and their own
    /// (every one when `user` is `None`), oldest first.
    pub async fn list_workflows(
        &self,
        user: Option<&str>,
    ) -> Result<Vec<WorkflowRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM workflows WHERE ?1 IS NULL OR owner IS NULL OR owner = ?1 ORDER BY created_at, id",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(workflow_from_row).collect()
    }

    /// Stores a new execution, owned by its starter.
    pub async fn insert_execution(
        &self,
        execution: &NewExecution,
        status: ExecutionStatus,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO executions (id, kind, workflow_id, owner, status, input, definition, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&execution.id)
        .bind(execution.kind.as_str())
        .bind(&execution.workflow_id)
        .bind(&execution.owner)
        .bind(status.as_str())
        .bind(&execution.input)
        .bind(&execution.definition)
        .bind(execution.created_at.to_rfc3339())
        .bind(execution.created_at.to_rfc3339())
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT OR IGNORE INTO resource_owners (kind, id, user_id) VALUES (?, ?, ?)")
            .bind(ResourceKind::Execution.as_str())
            .bind(&execution.id)
            .bind(&execution.owner)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves an execution to `status`, with its result or error when final.
    pub async fn set_execution_status(
        &self,
        id: &str,
        status: ExecutionStatus,
        result: Option<&str>,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE executions SET status = ?, result = COALESCE(?, result), error = COALESCE(?, error), updated_at = ? WHERE id = ?",
        )
        .bind(status.as_str())
        .bind(result)
        .bind(error)
        .bind(at.to_rfc3339())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Writes a step's checkpoint.
    pub async fn save_step(&self, execution_id: &str, step: &StepRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO execution_steps (execution_id, step_id, status, output, error, attempts, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (execution_id, step_id) DO UPDATE SET \
             status = excluded.status, output = excluded.output, error = excluded.error, \
             attempts = excluded.attempts, updated_at = excluded.updated_at",
        )
        .bind(execution_id)
        .bind(&step.step_id)
        .bind(step.status.as_str())
        .bind(&step.output)
        .bind(&step.error)
        .bind(i64::from(step.attempts))
        .bind(step.updated_at.to_rfc3339())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One execution with its steps.
    pub async fn get_execution(&self, id: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        let Some(row) = sqlx::query("SELECT * FROM executions WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut record = execution_from_row(&row)?;
        record.steps = self.steps_of(id).await?;
        Ok(Some(record))
    }

    /// Executions that were not final when the server last stopped, oldest first.
    pub async fn unfinished_executions(&self) -> Result<Vec<ExecutionRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM executions WHERE status IN ('queued', 'running', 'paused') ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut record = execution_from_row(row)?;
            record.steps = self.steps_of(&record.execution.id).await?;
            records.push(record);
        }
        Ok(records)
    }

    /// The caller's newest execution of `workflow_id`; with `active_only`,
    /// the newest that is not final.
    pub async fn newest_execution(
        &self,
        owner: &str,
        workflow_id: &str,
        active_only: bool,
    ) -> Result<Option<String>, StoreError> {
        let id = sqlx::query_scalar(
            "SELECT id FROM executions WHERE owner = ? AND workflow_id = ? \
             AND (? = 0 OR status IN ('queued', 'running', 'paused')) ORDER BY created_at DESC, rowid DESC LIMIT 1",
        )
        .bind(owner)
        .bind(workflow_id)
        .bind(active_only)
        .fetch_optional(&self.pool)
        .await?;
        Ok(id)
    }

    /// Appends to an execution's history.
    pub async fn append_event(
        &self,
        execution_id: &str,
        event: &EventRecord,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO execution_events (execution_id, seq, body, at) VALUES (?, ?, ?, ?)",
        )
        .bind(execution_id)
        .bind(i64::try_from(event.seq).unwrap_or(i64::MAX))
        .bind(&event.body)
        .bind(event.at.to_rfc3339())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// An execution's history after `after_seq`, in order.
    pub async fn events_after(
        &self,
        execution_id: &str,
        after_seq: u64,
    ) -> Result<Vec<EventRecord>, StoreError> {
        self.events_page(execution_id, after_seq, u32::MAX).await
    }

    /// At most `limit` events of an execution's history after `after_seq`,
    /// in order.
    pub async fn events_page(
        &self,
        execution_id: &str,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, body, at FROM execution_events WHERE execution_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(execution_id)
        .bind(i64::try_from(after_seq).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(EventRecord {
                    seq: u64::try_from(row.try_get::<i64, _>("seq")?).unwrap_or_default(),
                    body: row.try_get("body")?,
                    at: crate::time(row.try_get("at")?).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The last sequence number of an execution's history (0 when empty).
    pub async fn last_event_seq(&self, execution_id: &str) -> Result<u64, StoreError> {
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM execution_events WHERE execution_id = ?")
                .bind(execution_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(seq.and_then(|seq| u64::try_from(seq).ok()).unwrap_or(0))
    }

    async fn steps_of(&self, execution_id: &str) -> Result<Vec<StepRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM execution_steps WHERE execution_id = ?")
            .bind(execution_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                Ok(StepRecord {
                    step_id: row.try_get("step_id")?,
                    status: StepStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("step status {status}")))?,
                    output: row.try_get("output")?,
                    error: row.try_get("error")?,
                    attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
                    updated_at: crate::time(row.try_get("updated_at")?).unwrap_or_default(),
                })
            })
            .collect()
    }
}

fn workflow_from_row(row: &SqliteRow) -> Result<WorkflowRecord, StoreError> {
    Ok(WorkflowRecord {
        id: row.try_get("id")?,
        owner: row.try_get("owner")?,
        definition: row.try_get("definition")?,
        created_at: crate::time(row.try_get("created_at")?).unwrap_or_default(),
        updated_at: crate::time(row.try_get("updated_at")?).unwrap_or_default(),
    })
}

fn execution_from_row(row: &SqliteRow) -> Result<ExecutionRecord, StoreError> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    Ok(ExecutionRecord {
        execution: NewExecution {
            id: row.try_get("id")?,
            kind: ExecutionKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("execution kind {kind}")))?,
            workflow_id: row.try_get("workflow_id")?,
            owner: row.try_get("owner")?,
            input: row.try_get("input")?,
            definition: row.try_get("definition")?,
            created_at: crate::time(row.try_get("created_at")?).unwrap_or_default(),
        },
        status: ExecutionStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("execution status {status}")))?,
        result: row.try_get("result")?,
        error: row.try_get("error")?,
        updated_at: crate::time(row.try_get("updated_at")?).unwrap_or_default(),
        steps: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::config::StoreConfig;

    #[tokio::test]
    async fn checkpoints_and_history_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig::Sqlite(dir.path().join("s.db"));
        let store = Store::open(&config).await.unwrap();
        let now = Utc::now();
        let execution = NewExecution {
            id: "exec_1".into(),
            kind: ExecutionKind::Workflow,
            workflow_id: Some("wf_1".into()),
            owner: "alice".into(),
            input: "{}".into(),
            definition: "{}".into(),
            created_at: now,
        };
        store
            .insert_execution(&execution, ExecutionStatus::Running)
            .await
            .unwrap();
        let step = StepRecord {
            step_id: "a".into(),
            status: StepStatus::Completed,
            output: Some("\"done\"".into()),
            error: None,
            attempts: 1,
            updated_at: now,
        };
        store.save_step("exec_1", &step).await.unwrap();
        for seq in 1..=3 {
            let event = EventRecord {
                seq,
                body: format!("{{\"n\":{seq}}}"),
                at: now,
            };
            store.append_event("exec_1", &event).await.unwrap();
        }
        store.close().await;

        let store = Store::open(&config).await.unwrap();
        let unfinished = store.unfinished_executions().await.unwrap();
        assert_eq!(unfinished.len(), 1);
        assert_eq!(unfinished[0].steps[0].status, StepStatus::Completed);
        assert_eq!(
            store
                .owner_of(ResourceKind::Execution, "exec_1")
                .await
                .unwrap(),
            Some("alice".into())
        );
        assert_eq!(store.last_event_seq("exec_1").await.unwrap(), 3);
        let after = store.events_after("exec_1", 1).await.unwrap();
        assert_eq!(after.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
        let page = store.events_page("exec_1", 0, 2).await.unwrap();
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
        let newest = |active_only| store.newest_execution("alice", "wf_1", active_only);
        assert_eq!(newest(true).await.unwrap(), Some("exec_1".into()));
        store
            .set_execution_status("exec_1", ExecutionStatus::Completed, Some("{}"), None, now)
            .await
            .unwrap();
        assert!(store.unfinished_executions().await.unwrap().is_empty());
        assert_eq!(newest(true).await.unwrap(), None);
        assert_eq!(newest(false).await.unwrap(), Some("exec_1".into()));
    }
}
