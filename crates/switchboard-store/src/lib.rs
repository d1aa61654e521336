//! Switchboard's durable state. This is the only crate that runs SQL; the
//! rest of the system sees typed methods on [`Store`].
//!
//! The embedded default is one SQLite file under the data directory, opened
//! in WAL mode and migrated on open.

mod agents;
mod media;
mod notifications;
mod process_groups;
mod processes;

pub use agents::{EventRecord, ExecutionRecord, NewExecution, StepRecord, WorkflowRecord};
pub use media::{Media, MediaStatus, MediaUpdate};
pub use notifications::Notification;
pub use process_groups::ProcessGroup;
pub use processes::{NewProcess, Outcome, ProcessRecord};

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use switchboard_core::ResourceKind;
use switchboard_core::config::StoreConfig;

/// Why a store operation failed. Callers log it and answer `INTERNAL`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database directory could not be created.
    #[error("cannot create database directory: {0}")]
    Directory(#[from] std::io::Error),
    /// The database refused a query or a connection.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed to apply.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored value is not one this version understands.
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

/// A handle to the durable state; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating when missing) and migrates the configured database.
    pub async fn open(config: &StoreConfig) -> Result<Self, StoreError> {
        let StoreConfig::Sqlite(path) = config;
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        tracing::debug!(path = %path.display(), "store opened");
        Ok(Store { pool })
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Records that `user_id` owns the resource; the first owner recorded wins.
    pub async fn record_owner(
        &self,
        kind: ResourceKind,
        id: &str,
        user_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT OR IGNORE INTO resource_owners (kind, id, user_id) VALUES (?, ?, ?)")
            .bind(kind.as_str())
            .bind(id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The owner of a resource, if it is known.
    pub async fn owner_of(
        &self,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Option<String>, StoreError> {
        let owner =
            sqlx::query_scalar("SELECT user_id FROM resource_owners WHERE kind = ? AND id = ?")
                .bind(kind.as_str())
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(owner)
    }

    /// Closes every connection, waiting for running queries.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Parses a stored RFC 3339 timestamp.
fn time(text: Option<String>) -> Option<chrono::DateTime<chrono::Utc>> {
    text.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn owners_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig::Sqlite(dir.path().join("nested/state.db"));

        let store = Store::open(&config).await.unwrap();
        store.ping().await.unwrap();
        store
            .record_owner(ResourceKind::Process, "proc_1", "alice")
            .await
            .unwrap();
        store
            .record_owner(ResourceKind::Process, "proc_1", "mallory")
            .await
            .unwrap();
        store.close().await;

        let store = Store::open(&config).await.unwrap();
        assert_eq!(
            store
                .owner_of(ResourceKind::Process, "proc_1")
                .await
                .unwrap(),
            Some("alice".to_owned())
        );
        assert_eq!(
            store.owner_of(ResourceKind::Media, "proc_1").await.unwrap(),
            None
        );
    }
}
