//! Approvals of plans: one per person and plan, bound to the digest of the plan's content.

use sqlx::Row;

use super::{NewAuditEntry, Store, StoreError, is_unique_violation, now};

/// An approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub plan_id: String,
    pub approver: String,
    /// The approver's roles when approving.
    pub roles: Vec<String>,
    /// The plan's content digest the approval is for.
    pub plan_digest: String,
    pub comment: String,
    pub at: String,
}

impl Store {
    /// Records an approval and appends `audit`, in one transaction; a second one by the same
    /// person is a conflict.
    pub async fn add_approval(&self, a: &Approval, audit: &[NewAuditEntry]) -> Result<Approval, StoreError> {
        let at = now();
        let mut tx = self.pool.begin().await?;
        let result = sqlx::query(
            "INSERT INTO approvals (plan_id, approver, roles, plan_digest, comment, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&a.plan_id)
        .bind(&a.approver)
        .bind(super::to_json(&a.roles))
        .bind(&a.plan_digest)
        .bind(&a.comment)
        .bind(&at)
        .execute(&mut *tx)
        .await;
        match result {
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "{} has already approved plan {}: an approver counts once",
                a.approver, a.plan_id
            ))),
            Err(e) => Err(e.into()),
            Ok(_) => {
                super::audit::append_all_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(Approval { at, ..a.clone() })
            }
        }
    }

    /// A plan's approvals, oldest first.
    pub async fn approvals(&self, plan_id: &str) -> Result<Vec<Approval>, StoreError> {
        let rows = sqlx::query(
            "SELECT plan_id, approver, roles, plan_digest, comment, at FROM approvals WHERE plan_id = $1 ORDER BY at, approver",
        )
        .bind(plan_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Approval {
                    plan_id: r.try_get("plan_id")?,
                    approver: r.try_get("approver")?,
                    roles: super::json_column("approval roles", &r.try_get::<String, _>("roles")?)?,
                    plan_digest: r.try_get("plan_digest")?,
                    comment: r.try_get("comment")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }
}
