//! Media items driven by external generators: created, progressing, then
//! complete or failed.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use switchboard_core::ResourceKind;

use crate::{Store, StoreError};

/// Where a media item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaStatus {
    /// Created, no progress yet.
    Pending,
    /// Progress reported.
    Processing,
    /// Finished with a URL.
    Complete,
    /// Finished with an error.
    Failed,
}

impl MediaStatus {
    /// Stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaStatus::Pending => "pending",
            MediaStatus::Processing => "processing",
            MediaStatus::Complete => "complete",
            MediaStatus::Failed => "error",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            MediaStatus::Pending,
            MediaStatus::Processing,
            MediaStatus::Complete,
            MediaStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }

    /// Whether nothing more can happen.
    pub fn is_final(self) -> bool {
        matches!(self, MediaStatus::Complete | MediaStatus::Failed)
    }
}

/// One media item.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    /// Its id.
    pub id: String,
    /// Its owner.
    pub user_id: String,
    /// `image`, `audio`, `video`...
    pub kind: String,
    /// Where it is.
    pub status: MediaStatus,
    /// 0..=100.
    pub progress: f64,
    /// Current stage.
    pub stage: Option<String>,
    /// Status message.
    pub message: Option<String>,
    /// Result URL.
    pub url: Option<String>,
    /// Thumbnail URL.
    pub thumbnail_url: Option<String>,
    /// Metadata, as JSON text.
    pub metadata: Option<String>,
    /// Error message.
    pub error: Option<String>,
    /// Error code.
    pub error_code: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A change to a media item.
#[derive(Debug, Clone)]
pub enum MediaUpdate {
    /// Progress.
    Progress {
        /// 0..=100.
        progress: f64,
        /// Stage name.
        stage: String,
        /// Message.
        message: Option<String>,
    },
    /// Finished.
    Complete {
        /// URL.
        url: String,
        /// Thumbnail.
        thumbnail_url: Option<String>,
        /// Metadata JSON text (replaces the old one when given).
        metadata: Option<String>,
    },
    /// Failed.
    Failed {
        /// Message.
        error: String,
        /// Code.
        code: Option<String>,
    },
}

fn media(row: &SqliteRow) -> Result<Media, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Media {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        kind: row.try_get("type")?,
        status: MediaStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown media status {status}")))?,
        progress: row.try_get("progress")?,
        stage: row.try_get("stage")?,
        message: row.try_get("message")?,
        url: row.try_get("url")?,
        thumbnail_url: row.try_get("thumbnail_url")?,
        metadata: row.try_get("metadata")?,
        error: row.try_get("error")?,
        error_code: row.try_get("error_code")?,
        created_at: crate::time(row.try_get("created_at")?).unwrap_or_default(),
    })
}

impl Store {
    /// Stores a new media item and records its owner.
    pub async fn insert_media(
        &self,
        id: &str,
        user_id: &str,
        kind: &str,
        metadata: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = Utc::now().to_rfc3339();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO media (id, user_id, type, status, metadata, created_at, updated_at)
             VALUES (?, ?, ?, 'pending', ?, ?, ?)",
        )
        .bind(id)
        .bind(user_id)
        .bind(kind)
        .bind(metadata)
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT OR IGNORE INTO resource_owners (kind, id, user_id) VALUES (?, ?, ?)")
            .bind(ResourceKind::Media.as_str())
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores a new media item under an id its creator chose, unless the id
    /// is taken (by an item, or by any resource of that name already owned):
    /// returns whether it was stored.
    pub async fn create_media(
        &self,
        id: &str,
        user_id: &str,
        kind: &str,
        metadata: Option<&str>,
    ) -> Result<bool, StoreError> {
        let now = Utc::now().to_rfc3339();
        let mut tx = self.pool.begin().await?;
        let owned = sqlx::query("SELECT 1 FROM resource_owners WHERE kind = ? AND id = ?")
            .bind(ResourceKind::Media.as_str())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if owned.is_some() {
            return Ok(false);
        }
        let inserted = sqlx::query(
            "INSERT INTO media (id, user_id, type, status, metadata, created_at, updated_at)
             VALUES (?, ?, ?, 'pending', ?, ?, ?)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(user_id)
        .bind(kind)
        .bind(metadata)
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO resource_owners (kind, id, user_id) VALUES (?, ?, ?)")
            .bind(ResourceKind::Media.as_str())
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// One media item.
    pub async fn get_media(&self, id: &str) -> Result<Option<Media>, StoreError> {
        let row = sqlx::query("SELECT * FROM media WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(media).transpose()
    }

    /// Applies an update to an unfinished item, atomically: returns whether
    /// it changed (not when it had already finished) and the item as it now is.
    pub async fn update_media(
        &self,
        id: &str,
        update: &MediaUpdate,
    ) -> Result<(bool, Option<Media>), StoreError> {
        let now = Utc::now().to_rfc3339();
        let query = match update {
            MediaUpdate::Progress { progress, stage, message } => sqlx::query(
                "UPDATE media SET status = 'processing', progress = ?, stage = ?, message = ?, updated_at = ?
                 WHERE id = ? AND status IN ('pending', 'processing')",
            )
            .bind(progress)
            .bind(stage)
            .bind(message)
            .bind(&now)
            .bind(id),
            MediaUpdate::Complete { url, thumbnail_url, metadata } => sqlx::query(
                "UPDATE media SET status = 'complete', progress = 100, url = ?, thumbnail_url = ?,
                    metadata = COALESCE(?, metadata), updated_at = ?
                 WHERE id = ? AND status IN ('pending', 'processing')",
            )
            .bind(url)
            .bind(thumbnail_url)
            .bind(metadata)
            .bind(&now)
            .bind(id),
            MediaUpdate::Failed { error, code } => sqlx::query(
                "UPDATE media SET status = 'error', error = ?, error_code = ?, updated_at = ?
                 WHERE id = ? AND status IN ('pending', 'processing')",
            )
            .bind(error)
            .bind(code)
            .bind(&now)
            .bind(id),
        };
        let changed = query.execute(&self.pool).await?.rows_affected() > 0;
        Ok((changed, self.get_media(id).await?))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Store, StoreConfig};

    #[tokio::test]
    async fn a_chosen_id_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreConfig::Sqlite(dir.path().join("state.db")))
            .await
            .unwrap();
        assert!(
            store
                .create_media("gen:1", "alice", "image", None)
                .await
                .unwrap()
        );
        assert!(
            !store
                .create_media("gen:1", "bob", "image", None)
                .await
                .unwrap()
        );
        let media = store.get_media("gen:1").await.unwrap().unwrap();
        assert_eq!(media.user_id, "alice");
        store
            .record_owner(crate::ResourceKind::Media, "gen:2", "carol")
            .await
            .unwrap();
        assert!(
            !store
                .create_media("gen:2", "alice", "image", None)
                .await
                .unwrap()
        );
    }
}
