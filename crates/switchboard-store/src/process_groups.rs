//! The process groups of running Claude CLIs, kept so that a node restarted
//! after a crash (`kill -9`, OOM) can kill what its previous life left
//! behind before it marks those runs interrupted.

use chrono::{DateTime, Utc};
use sqlx::Row;
use switchboard_core::ProcessId;

use crate::{Store, StoreError};

/// A recorded process group and what identifies its leader across a pid
/// reuse: the leader's start time in clock ticks since boot (field 22 of
/// `/proc/<pid>/stat`) and the boot it started in
/// (`/proc/sys/kernel/random/boot_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessGroup {
    /// The process group id (the leader's pid).
    pub pgid: i32,
    /// The leader's start time, in clock ticks since boot.
    pub leader_start_ticks: u64,
    /// The boot the leader started in.
    pub boot_id: String,
}

impl Store {
    /// Records the process group of a run's running CLI.
    pub async fn record_process_group(
        &self,
        id: &ProcessId,
        group: &ProcessGroup,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT OR REPLACE INTO process_groups
                (process_id, pgid, leader_start_ticks, boot_id, recorded_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id.as_str())
        .bind(group.pgid)
        .bind(i64::try_from(group.leader_start_ticks).unwrap_or(i64::MAX))
        .bind(&group.boot_id)
        .bind(at.to_rfc3339())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a run's process group (its CLI has exited).
    pub async fn clear_process_group(&self, id: &ProcessId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM process_groups WHERE process_id = ?")
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every recorded process group, by run: at startup, what a previous
    /// life of this node may have left running.
    pub async fn process_groups(&self) -> Result<Vec<(ProcessId, ProcessGroup)>, StoreError> {
        let rows = sqlx::query(
            "SELECT process_id, pgid, leader_start_ticks, boot_id FROM process_groups
             ORDER BY rowid",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let ticks: i64 = row.try_get("leader_start_ticks")?;
                Ok((
                    ProcessId::from_raw(row.try_get::<String, _>("process_id")?),
                    ProcessGroup {
                        pgid: row.try_get("pgid")?,
                        leader_start_ticks: u64::try_from(ticks).map_err(|_| {
                            StoreError::Corrupt(format!("negative start time {ticks}"))
                        })?,
                        boot_id: row.try_get("boot_id")?,
                    },
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewProcess;
    use switchboard_core::ProcessStatus;
    use switchboard_core::config::StoreConfig;

    #[tokio::test]
    async fn groups_are_recorded_until_the_run_ends() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreConfig::Sqlite(dir.path().join("s.db")))
            .await
            .unwrap();
        for id in ["p1", "p2", "p3"] {
            let process = NewProcess {
                id: ProcessId::from_raw(id),
                user_id: "ann".into(),
                prompt: "hi".into(),
                system_prompt: None,
                model: None,
                max_tokens: None,
                working_directory: "/tmp".into(),
                timeout_ms: 1000,
                created_at: Utc::now(),
            };
            store
                .insert_process(&process, ProcessStatus::Running)
                .await
                .unwrap();
        }
        let group = |pgid| ProcessGroup {
            pgid,
            leader_start_ticks: 12_345,
            boot_id: "boot".into(),
        };
        let (p1, p2, p3) = (
            ProcessId::from_raw("p1"),
            ProcessId::from_raw("p2"),
            ProcessId::from_raw("p3"),
        );
        store
            .record_process_group(&p1, &group(101), Utc::now())
            .await
            .unwrap();
        store
            .record_process_group(&p2, &group(102), Utc::now())
            .await
            .unwrap();
        store
            .record_process_group(&p3, &group(103), Utc::now())
            .await
            .unwrap();
        store.clear_process_group(&p1).await.unwrap();
        store
            .finish_process(&p2, ProcessStatus::Completed, &crate::Outcome::default())
            .await
            .unwrap();
        assert_eq!(
            store.process_groups().await.unwrap(),
            vec![(p3, group(103))],
            "cleared explicitly or when the run finishes"
        );
        assert_eq!(store.mark_interrupted(Utc::now()).await.unwrap(), 2);
        assert!(
            store.process_groups().await.unwrap().is_empty(),
            "nothing of a previous life is running once runs are marked interrupted"
        );
    }
}
