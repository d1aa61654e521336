//! Stored user notifications: kept until read, with delivery tracked so a
//! user who was offline gets them on the next connect.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{Store, StoreError};

/// One notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Its id.
    pub id: String,
    /// Its recipient.
    pub user_id: String,
    /// `info`, `success`, `warning` or `error`.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Body.
    pub message: String,
    /// Extra data, as JSON text.
    pub data: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When the user read it.
    pub read_at: Option<DateTime<Utc>>,
}

fn notification(row: &SqliteRow) -> Result<Notification, StoreError> {
    Ok(Notification {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        kind: row.try_get("type")?,
        title: row.try_get("title")?,
        message: row.try_get("message")?,
        data: row.try_get("data")?,
        created_at: crate::time(row.try_get("created_at")?).unwrap_or_default(),
        read_at: crate::time(row.try_get("read_at")?),
    })
}

impl Store {
    /// Stores a notification, delivered or not yet.
    pub async fn insert_notification(
        &self,
        notification: &Notification,
        delivered: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO notifications (id, user_id, type, title, message, data, created_at, delivered_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&notification.id)
        .bind(&notification.user_id)
        .bind(&notification.kind)
        .bind(&notification.title)
        .bind(&notification.message)
        .bind(&notification.data)
        .bind(notification.created_at.to_rfc3339())
        .bind(delivered.then(|| notification.created_at.to_rfc3339()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes the user's undelivered notifications, oldest first, marking them delivered.
    pub async fn take_undelivered(&self, user_id: &str) -> Result<Vec<Notification>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "SELECT * FROM notifications WHERE user_id = ? AND delivered_at IS NULL ORDER BY created_at, rowid",
        )
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE notifications SET delivered_at = ? WHERE user_id = ? AND delivered_at IS NULL",
        )
        .bind(Utc::now().to_rfc3339())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(notification).collect()
    }

    /// The user's notifications, newest first.
    pub async fn list_notifications(
        &self,
        user_id: &str,
        unread_only: bool,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let sql = if unread_only {
            "SELECT * FROM notifications WHERE user_id = ? AND read_at IS NULL ORDER BY created_at DESC, rowid DESC LIMIT ?"
        } else {
            "SELECT * FROM notifications WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?"
        };
        let rows = sqlx::query(sql)
            .bind(user_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(notification).collect()
    }

    /// Marks one of the user's notifications read; `None` when it is not theirs.
    pub async fn mark_notification_read(
        &self,
        user_id: &str,
        id: &str,
    ) -> Result<Option<Notification>, StoreError> {
        sqlx::query(
            "UPDATE notifications SET read_at = COALESCE(read_at, ?) WHERE id = ? AND user_id = ?",
        )
        .bind(Utc::now().to_rfc3339())
        .bind(id)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query("SELECT * FROM notifications WHERE id = ? AND user_id = ?")
            .bind(id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(notification).transpose()
    }
}
