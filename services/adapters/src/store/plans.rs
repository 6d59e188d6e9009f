//! Plans: computed migrations from an environment's live database to a version.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, after, now};

/// Where a plan is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlanState {
    /// Being computed and verified; poll it.
    Computing,
    /// Computed and verified; waits for approval.
    PendingApproval,
    /// Could not be computed or did not verify (see its error).
    Failed,
}

impl PlanState {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanState::Computing => "computing",
            PlanState::PendingApproval => "pending_approval",
            PlanState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [PlanState::Computing, PlanState::PendingApproval, PlanState::Failed]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// A plan to start computing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    pub id: String,
    pub service: String,
    pub environment: String,
    pub to_version: i64,
    pub to_digest: String,
    pub requested_by: String,
    /// How long the plan may stay `computing` without its lease being renewed.
    pub lease_secs: u64,
}

/// A stored plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRecord {
    pub id: String,
    pub service: String,
    pub environment: String,
    pub to_version: i64,
    pub to_digest: String,
    pub from_fingerprint: Option<String>,
    pub state: PlanState,
    /// The plan as JSON (steps, hazards), once computed.
    pub body: Option<String>,
    /// The verification's summary, once verified.
    pub verification: Option<String>,
    pub error: Option<String>,
    pub requested_by: String,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, service, environment, to_version, to_digest, from_fingerprint, state, body, \
     verification, error, requested_by, created_at, updated_at";

fn plan(row: &AnyRow) -> Result<PlanRecord, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(PlanRecord {
        id: row.try_get("id")?,
        service: row.try_get("service")?,
        environment: row.try_get("environment")?,
        to_version: row.try_get("to_version")?,
        to_digest: row.try_get("to_digest")?,
        from_fingerprint: row.try_get("from_fingerprint")?,
        state: PlanState::parse(&state).ok_or(StoreError::Corrupt {
            what: "plan state",
            message: state,
        })?,
        body: row.try_get("body")?,
        verification: row.try_get("verification")?,
        error: row.try_get("error")?,
        requested_by: row.try_get("requested_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A computed plan's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOutcome {
    pub state: PlanState,
    pub from_fingerprint: Option<String>,
    pub body: Option<String>,
    pub verification: Option<String>,
    pub error: Option<String>,
}

impl Store {
    /// Records a plan as `computing`, with a lease of `new.lease_secs`.
    pub async fn create_plan(&self, new: &NewPlan) -> Result<PlanRecord, StoreError> {
        let at = now();
        sqlx::query(&format!(
            "INSERT INTO plans ({COLUMNS}, lease_until) \
             VALUES ($1, $2, $3, $4, $5, NULL, $6, NULL, NULL, NULL, $7, $8, $8, $9)"
        ))
        .bind(&new.id)
        .bind(&new.service)
        .bind(&new.environment)
        .bind(new.to_version)
        .bind(&new.to_digest)
        .bind(PlanState::Computing.as_str())
        .bind(&new.requested_by)
        .bind(&at)
        .bind(after(new.lease_secs))
        .execute(&self.pool)
        .await?;
        self.existing_plan(&new.id).await
    }

    /// Stores a computing plan's outcome.
    pub async fn finish_plan(&self, id: &str, outcome: &PlanOutcome) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE plans SET state = $2, from_fingerprint = $3, body = $4, verification = $5, error = $6, \
             updated_at = $7 WHERE id = $1 AND state = $8",
        )
        .bind(id)
        .bind(outcome.state.as_str())
        .bind(outcome.from_fingerprint.as_deref())
        .bind(outcome.body.as_deref())
        .bind(outcome.verification.as_deref())
        .bind(outcome.error.as_deref())
        .bind(now())
        .bind(PlanState::Computing.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Extends a computing plan's lease (its registry is still at work on it).
    pub async fn renew_plan(&self, id: &str, lease_secs: u64) -> Result<(), StoreError> {
        sqlx::query("UPDATE plans SET lease_until = $2 WHERE id = $1 AND state = $3")
            .bind(id)
            .bind(after(lease_secs))
            .bind(PlanState::Computing.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Plans whose lease ran out while `computing` (the registry computing them stopped) are
    /// marked failed, so none waits for ever; plans other replicas are computing are left alone.
    pub async fn fail_abandoned_plans(&self) -> Result<u64, StoreError> {
        let at = now();
        let done = sqlx::query(
            "UPDATE plans SET state = $1, error = $2, updated_at = $3 \
             WHERE state = $4 AND (lease_until IS NULL OR lease_until < $3)",
        )
        .bind(PlanState::Failed.as_str())
        .bind("the registry computing this plan stopped before it was done: create it again")
        .bind(&at)
        .bind(PlanState::Computing.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn existing_plan(&self, id: &str) -> Result<PlanRecord, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM plans WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("plan {id:?} does not exist")))?;
        plan(&row)
    }

    /// Every service's plans in one state, oldest first.
    pub async fn plans_in_state(&self, state: PlanState) -> Result<Vec<PlanRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM plans WHERE state = $1 ORDER BY created_at, id"
        ))
        .bind(state.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(plan).collect()
    }

    /// A service's plans, newest first, optionally for one environment or state.
    pub async fn plans(
        &self,
        service: &str,
        environment: Option<&str>,
        state: Option<PlanState>,
        limit: i64,
    ) -> Result<Vec<PlanRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM plans WHERE service = $1 AND ($2 = '' OR environment = $2) \
             AND ($3 = '' OR state = $3) ORDER BY created_at DESC, id DESC LIMIT $4"
        ))
        .bind(service)
        .bind(environment.unwrap_or(""))
        .bind(state.map(PlanState::as_str).unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(plan).collect()
    }
}
