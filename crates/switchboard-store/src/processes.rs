//! Claude process records: request, status transitions, outcome.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use switchboard_core::{ErrorCode, ProcessId, ProcessStatus, ResourceKind};

use crate::{Store, StoreError};

/// A new process as accepted.
#[derive(Debug, Clone)]
pub struct NewProcess {
    /// Its id.
    pub id: ProcessId,
    /// Who asked.
    pub user_id: String,
    /// The prompt.
    pub prompt: String,
    /// The system prompt.
    pub system_prompt: Option<String>,
    /// The requested model.
    pub model: Option<String>,
    /// The output token cap.
    pub max_tokens: Option<u64>,
    /// Where it runs.
    pub working_directory: String,
    /// Its time limit.
    pub timeout_ms: u64,
    /// When it was accepted.
    pub created_at: DateTime<Utc>,
}

/// How a process ended.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// All text output.
    pub output: String,
    /// The answer text (seed 001's `result.stdout`), not the raw stream-json.
    pub stdout: String,
    /// Stderr (capped).
    pub stderr: String,
    /// Exit code; `None` when killed or never started.
    pub exit_code: Option<i32>,
    /// Failure code, when it failed.
    pub error_code: Option<ErrorCode>,
    /// Failure message, when it failed.
    pub error_message: Option<String>,
    /// The parsed response text.
    pub content: Option<String>,
    /// The model that answered.
    pub response_model: Option<String>,
    /// Why generation stopped.
    pub stop_reason: Option<String>,
    /// Input tokens.
    pub input_tokens: Option<u64>,
    /// Output tokens.
    pub output_tokens: Option<u64>,
    /// When it started running.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub completed_at: DateTime<Utc>,
}

/// A stored process.
#[derive(Debug, Clone)]
pub struct ProcessRecord {
    /// What was asked.
    pub request: NewProcess,
    /// Its last status.
    pub status: ProcessStatus,
    /// Its outcome, once final.
    pub outcome: Option<Outcome>,
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn to_u64(value: Option<i64>) -> Option<u64> {
    value.and_then(|v| u64::try_from(v).ok())
}

impl Store {
    /// Stores a new process and records its owner.
    pub async fn insert_process(
        &self,
        process: &NewProcess,
        status: ProcessStatus,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO processes (id, user_id, prompt, system_prompt, model, max_tokens,
                working_directory, timeout_ms, status, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(process.id.as_str())
        .bind(&process.user_id)
        .bind(&process.prompt)
        .bind(&process.system_prompt)
        .bind(&process.model)
        .bind(process.max_tokens.map(to_i64))
        .bind(&process.working_directory)
        .bind(to_i64(process.timeout_ms))
        .bind(status.as_str())
        .bind(process.created_at.to_rfc3339())
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO process_transitions (process_id, status, at) VALUES (?, ?, ?)")
            .bind(process.id.as_str())
            .bind(status.as_str())
            .bind(process.created_at.to_rfc3339())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT OR IGNORE INTO resource_owners (kind, id, user_id) VALUES (?, ?, ?)")
            .bind(ResourceKind::Process.as_str())
            .bind(process.id.as_str())
            .bind(&process.user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a status change of a running or queued process.
    pub async fn record_transition(
        &self,
        id: &ProcessId,
        status: ProcessStatus,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let started = (status == ProcessStatus::Running).then(|| at.to_rfc3339());
        sqlx::query(
            "UPDATE processes SET status = ?, started_at = COALESCE(?, started_at) WHERE id = ?",
        )
        .bind(status.as_str())
        .bind(started)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO process_transitions (process_id, status, at) VALUES (?, ?, ?)")
            .bind(id.as_str())
            .bind(status.as_str())
            .bind(at.to_rfc3339())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores the final status and outcome.
    pub async fn finish_process(
        &self,
        id: &ProcessId,
        status: ProcessStatus,
        outcome: &Outcome,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE processes SET status = ?, output = ?, stdout = ?, stderr = ?, exit_code = ?,
                error_code = ?, error_message = ?, content = ?, response_model = ?, stop_reason = ?,
                input_tokens = ?, output_tokens = ?, started_at = COALESCE(?, started_at),
                completed_at = ?
             WHERE id = ?",
        )
        .bind(status.as_str())
        .bind(&outcome.output)
        .bind(&outcome.stdout)
        .bind(&outcome.stderr)
        .bind(outcome.exit_code)
        .bind(outcome.error_code.map(ErrorCode::as_str))
        .bind(&outcome.error_message)
        .bind(&outcome.content)
        .bind(&outcome.response_model)
        .bind(&outcome.stop_reason)
        .bind(outcome.input_tokens.map(to_i64))
        .bind(outcome.output_tokens.map(to_i64))
        .bind(outcome.started_at.map(|at| at.to_rfc3339()))
        .bind(outcome.completed_at.to_rfc3339())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO process_transitions (process_id, status, at) VALUES (?, ?, ?)")
            .bind(id.as_str())
            .bind(status.as_str())
            .bind(outcome.completed_at.to_rfc3339())
            .execute(&mut *tx)
            .await?;
        // Its CLI has exited: nothing of it is left to kill after a crash.
        sqlx::query("DELETE FROM process_groups WHERE process_id = ?")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks processes left pending, queued or running by a previous run of
    /// the server as failed with `INTERRUPTED`; returns how many. Called at
    /// startup once what they left running has been killed, so their
    /// recorded process groups are forgotten too.
    pub async fn mark_interrupted(&self, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO process_transitions (process_id, status, at)
             SELECT id, 'failed', ? FROM processes WHERE status IN ('pending', 'queued', 'running')",
        )
        .bind(at.to_rfc3339())
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "UPDATE processes SET status = 'failed', error_code = ?, error_message = ?, completed_at = ?
             WHERE status IN ('pending', 'queued', 'running')",
        )
        .bind(ErrorCode::Interrupted.as_str())
        .bind("Interrupted: the server stopped while this process was active")
        .bind(at.to_rfc3339())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM process_groups")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// One process.
    pub async fn get_process(&self, id: &str) -> Result<Option<ProcessRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM processes WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| record(&row)).transpose()
    }

    /// A user's newest processes.
    pub async fn list_processes(
        &self,
        user_id: &str,
        limit: u32,
    ) -> Result<Vec<ProcessRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM processes WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?")
            .bind(user_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record).collect()
    }

    /// The statuses a process went through, oldest first.
    pub async fn process_transitions(&self, id: &str) -> Result<Vec<ProcessStatus>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT status FROM process_transitions WHERE process_id = ? ORDER BY rowid",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .filter_map(|s| ProcessStatus::parse(s))
            .collect())
    }
}

fn record(row: &SqliteRow) -> Result<ProcessRecord, StoreError> {
    let status_text: String = row.try_get("status")?;
    let status = ProcessStatus::parse(&status_text)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown process status {status_text}")))?;
    let request = NewProcess {
        id: ProcessId::from_raw(row.try_get::<String, _>("id")?),
        user_id: row.try_get("user_id")?,
        prompt: row.try_get("prompt")?,
        system_prompt: row.try_get("system_prompt")?,
        model: row.try_get("model")?,
        max_tokens: to_u64(row.try_get("max_tokens")?),
        working_directory: row.try_get("working_directory")?,
        timeout_ms: to_u64(row.try_get("timeout_ms")?).unwrap_or_default(),
        created_at: crate::time(row.try_get("created_at")?).unwrap_or_default(),
    };
    let completed_at = crate::time(row.try_get("completed_at")?);
    let outcome = match completed_at {
        Some(completed_at) if status.is_final() => Some(Outcome {
            output: row.try_get("output")?,
            stdout: row
                .try_get::<Option<String>, _>("stdout")?
                .unwrap_or_default(),
            stderr: row
                .try_get::<Option<String>, _>("stderr")?
                .unwrap_or_default(),
            exit_code: row.try_get("exit_code")?,
            error_code: row
                .try_get::<Option<String>, _>("error_code")?
                .and_then(|code| ErrorCode::parse(&code)),
            error_message: row.try_get("error_message")?,
            content: row.try_get("content")?,
            response_model: row.try_get("response_model")?,
            stop_reason: row.try_get("stop_reason")?,
            input_tokens: to_u64(row.try_get("input_tokens")?),
            output_tokens: to_u64(row.try_get("output_tokens")?),
            started_at: crate::time(row.try_get("started_at")?),
            completed_at,
        }),
        _ => None,
    };
    Ok(ProcessRecord {
        request,
        status,
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::config::StoreConfig;

    fn new_process(id: &str, user: &str) -> NewProcess {
        NewProcess {
            id: ProcessId::from_raw(id),
            user_id: user.into(),
            prompt: "hi".into(),
            system_prompt: None,
            model: Some("sonnet".into()),
            max_tokens: Some(10),
            working_directory: "/tmp".into(),
            timeout_ms: 1000,
            created_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn lifecycle_transitions_and_interruption() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreConfig::Sqlite(dir.path().join("s.db")))
            .await
            .unwrap();
        store
            .insert_process(&new_process("p1", "ann"), ProcessStatus::Pending)
            .await
            .unwrap();
        store
            .insert_process(&new_process("p2", "ann"), ProcessStatus::Pending)
            .await
            .unwrap();
        let p1 = ProcessId::from_raw("p1");
        store
            .record_transition(&p1, ProcessStatus::Queued, Utc::now())
            .await
            .unwrap();
        store
            .record_transition(&p1, ProcessStatus::Running, Utc::now())
            .await
            .unwrap();
        let outcome = Outcome {
            output: "done".into(),
            exit_code: Some(0),
            content: Some("done".into()),
            input_tokens: Some(3),
            output_tokens: Some(4),
            started_at: Some(Utc::now()),
            completed_at: Utc::now(),
            ..Outcome::default()
        };
        store
            .finish_process(&p1, ProcessStatus::Completed, &outcome)
            .await
            .unwrap();

        assert_eq!(
            store.process_transitions("p1").await.unwrap(),
            vec![
                ProcessStatus::Pending,
                ProcessStatus::Queued,
                ProcessStatus::Running,
                ProcessStatus::Completed
            ]
        );
        let record = store.get_process("p1").await.unwrap().unwrap();
        assert_eq!(record.status, ProcessStatus::Completed);
        assert_eq!(record.outcome.unwrap().output_tokens, Some(4));
        assert_eq!(
            store
                .owner_of(ResourceKind::Process, "p1")
                .await
                .unwrap()
                .as_deref(),
            Some("ann")
        );

        assert_eq!(store.mark_interrupted(Utc::now()).await.unwrap(), 1);
        let p2 = store.get_process("p2").await.unwrap().unwrap();
        assert_eq!(p2.status, ProcessStatus::Failed);
        assert_eq!(p2.outcome.unwrap().error_code, Some(ErrorCode::Interrupted));

        let listed = store.list_processes("ann", 1).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].request.id.as_str(), "p2", "newest first");
        assert!(store.get_process("nope").await.unwrap().is_none());
    }
}
