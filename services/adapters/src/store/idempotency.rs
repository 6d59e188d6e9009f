//! Idempotency keys: the first request with a key claims it; its answer is kept and given to
//! every retry with the same key and the same request.

use sqlx::Row;

use super::{Store, StoreError, is_unique_violation, now};

/// A kept answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    pub status: u16,
    /// `[[name, value], …]` as JSON text.
    pub headers: String,
    pub body: String,
}

/// What a request with a key finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: the request runs and its answer is kept.
    New,
    /// The key's first request is still running.
    InProgress,
    /// The key was used for another request.
    Mismatch,
    /// The key's first answer.
    Replay(KeptAnswer),
}

impl Store {
    /// Claims `key` for `subject`'s request (identified by `request_hash`).
    pub async fn claim_key(&self, subject: &str, key: &str, request_hash: &str) -> Result<Claim, StoreError> {
        let inserted =
            sqlx::query("INSERT INTO idempotency (subject, key, request_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind(subject)
                .bind(key)
                .bind(request_hash)
                .bind(now())
                .execute(&self.pool)
                .await;
        match inserted {
            Ok(_) => return Ok(Claim::New),
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        let row =
            sqlx::query("SELECT request_hash, status, headers, body FROM idempotency WHERE subject = $1 AND key = $2")
                .bind(subject)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else {
            // Forgotten in between (its first request failed): claim it again.
            return Box::pin(self.claim_key(subject, key, request_hash)).await;
        };
        if row.try_get::<String, _>("request_hash")? != request_hash {
            return Ok(Claim::Mismatch);
        }
        Ok(match row.try_get::<Option<i64>, _>("status")? {
            None => Claim::InProgress,
            Some(status) => Claim::Replay(KeptAnswer {
                status: status as u16,
                headers: row.try_get::<Option<String>, _>("headers")?.unwrap_or_default(),
                body: row.try_get::<Option<String>, _>("body")?.unwrap_or_default(),
            }),
        })
    }

    /// Keeps the answer of a claimed key.
    pub async fn keep_answer(&self, subject: &str, key: &str, answer: &KeptAnswer) -> Result<(), StoreError> {
        sqlx::query("UPDATE idempotency SET status = $3, headers = $4, body = $5 WHERE subject = $1 AND key = $2")
            .bind(subject)
            .bind(key)
            .bind(i64::from(answer.status))
            .bind(&answer.headers)
            .bind(&answer.body)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Gives a claimed key back (its request failed on the server's side: a retry may run).
    pub async fn forget_key(&self, subject: &str, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency WHERE subject = $1 AND key = $2")
            .bind(subject)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
