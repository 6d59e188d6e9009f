//! Sessions of the operators' console, by the digest of their cookie.

use sqlx::Row;

use super::{Store, StoreError, now};

/// A console session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiSession {
    /// The digest of the session's cookie.
    pub id: String,
    pub subject: String,
    /// The bearer token it acts with, encrypted.
    pub token: String,
    pub csrf: String,
    pub expires_at: String,
}

impl Store {
    /// Records a session (and forgets the sessions that have ended).
    pub async fn create_ui_session(&self, s: &UiSession) -> Result<(), StoreError> {
        let at = now();
        sqlx::query("DELETE FROM ui_sessions WHERE expires_at < $1")
            .bind(&at)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO ui_sessions (id, subject, token, csrf, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id)
        .bind(&s.subject)
        .bind(&s.token)
        .bind(&s.csrf)
        .bind(&s.expires_at)
        .bind(&at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A session, ended or not (see `expires_at`).
    pub async fn ui_session(&self, id: &str) -> Result<Option<UiSession>, StoreError> {
        let row = sqlx::query("SELECT id, subject, token, csrf, expires_at FROM ui_sessions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(UiSession {
                id: r.try_get("id")?,
                subject: r.try_get("subject")?,
                token: r.try_get("token")?,
                csrf: r.try_get("csrf")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    pub async fn delete_ui_session(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM ui_sessions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
