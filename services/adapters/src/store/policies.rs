//! Environment policies: JSON documents with a version, replaced only by a writer that names
//! the version it read (optimistic concurrency, for ETag/If-Match).

use sqlx::Row;

use super::{NewAuditEntry, Store, StoreError, is_unique_violation, now};

/// A stored policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy {
    pub version: i64,
    /// The policy as JSON text.
    pub body: String,
    pub updated_by: String,
    pub updated_at: String,
}

impl Store {
    /// The environment's policy, if one was ever written.
    pub async fn policy(&self, environment: &str) -> Result<Option<StoredPolicy>, StoreError> {
        let row = sqlx::query("SELECT version, body, updated_by, updated_at FROM policies WHERE environment = $1")
            .bind(environment)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(StoredPolicy {
                version: r.try_get("version")?,
                body: r.try_get("body")?,
                updated_by: r.try_get("updated_by")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .transpose()
    }

    /// Replaces the policy if its version is still `expected` (0: never written); else a
    /// `Stale` error that says which version is there. `audit` is appended in the same
    /// transaction.
    pub async fn put_policy(
        &self,
        environment: &str,
        expected: i64,
        body: &str,
        by: &str,
        audit: &[NewAuditEntry],
    ) -> Result<StoredPolicy, StoreError> {
        let at = now();
        let mut tx = self.pool.begin().await?;
        let written = if expected == 0 {
            let result = sqlx::query(
                "INSERT INTO policies (environment, version, body, updated_by, updated_at) VALUES ($1, 1, $2, $3, $4)",
            )
            .bind(environment)
            .bind(body)
            .bind(by)
            .bind(&at)
            .execute(&mut *tx)
            .await;
            match result {
                Ok(done) => done.rows_affected(),
                Err(e) if is_unique_violation(&e) => 0,
                Err(e) => return Err(e.into()),
            }
        } else {
            sqlx::query(
                "UPDATE policies SET version = version + 1, body = $3, updated_by = $4, updated_at = $5 \
                 WHERE environment = $1 AND version = $2",
            )
            .bind(environment)
            .bind(expected)
            .bind(body)
            .bind(by)
            .bind(&at)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        };
        if written == 0 {
            drop(tx);
            let current = self.policy(environment).await?.map(|p| p.version).unwrap_or(0);
            return Err(StoreError::Stale(format!(
                "the policy of {environment:?} is at version {current}, not {expected}: read it again"
            )));
        }
        super::audit::append_all_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.policy(environment)
            .await?
            .ok_or_else(|| StoreError::Unavailable("a policy just written cannot be read".into()))
    }
}
