//! Plans: computed migrations from an environment's live database to a version.

use sqlx::Row;
use sqlx::any::AnyRow;

use schemareg_engine::plan::{HazardKind, Plan};
use serde::{Deserialize, Serialize};

use super::audit::append_all_in;
use super::{EventKind, NewAuditEntry, NewEvent, Store, StoreError, after, json_column, now, to_json};

/// Where a plan is in its life: `computing → pending_approval → approved → applying →
/// applied → verified`, or `rejected`, `failed`, `stale`, `superseded`, `cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlanState {
    /// Being computed and verified; poll it.
    Computing,
    /// Computed and verified; waits for the approvals its environment's policy asks for.
    PendingApproval,
    /// Has its approvals (or needs none); may be applied.
    Approved,
    /// Being applied.
    Applying,
    /// Applied; the live database is being read again.
    Applied,
    /// Applied, and the live database equals the version.
    Verified,
    /// Refused by an approver.
    Rejected,
    /// Could not be computed, did not verify, broke the policy, or failed to apply (see its error).
    Failed,
    /// The live database changed since the plan was computed: plan again.
    Stale,
    /// A newer plan for the same service and environment replaced it.
    Superseded,
    /// Withdrawn.
    Cancelled,
}

impl PlanState {
    pub const ALL: [PlanState; 11] = [
        PlanState::Computing,
        PlanState::PendingApproval,
        PlanState::Approved,
        PlanState::Applying,
        PlanState::Applied,
        PlanState::Verified,
        PlanState::Rejected,
        PlanState::Failed,
        PlanState::Stale,
        PlanState::Superseded,
        PlanState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlanState::Computing => "computing",
            PlanState::PendingApproval => "pending_approval",
            PlanState::Approved => "approved",
            PlanState::Applying => "applying",
            PlanState::Applied => "applied",
            PlanState::Verified => "verified",
            PlanState::Rejected => "rejected",
            PlanState::Failed => "failed",
            PlanState::Stale => "stale",
            PlanState::Superseded => "superseded",
            PlanState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether the plan may still be acted on (approved, applied); a newer plan supersedes it.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            PlanState::Computing | PlanState::PendingApproval | PlanState::Approved
        )
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
    /// Why an admin lets the plan past the promotion gate, if one does.
    pub override_reason: Option<String>,
}

/// What a computed plan keeps: its steps, the kinds of their hazards, its script and rollback
/// script, and the session settings they were rendered with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanBody {
    pub plan: Plan,
    pub hazards: Vec<HazardKind>,
    pub sql: String,
    pub rollback_sql: String,
    #[serde(default = "default_lock_timeout")]
    pub lock_timeout: String,
    #[serde(default = "default_statement_timeout")]
    pub statement_timeout: String,
    /// What the checks on the live rows found when the plan was computed, step by step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_checks: Vec<crate::data_checks::CheckResult>,
}

fn default_lock_timeout() -> String {
    "10s".into()
}

fn default_statement_timeout() -> String {
    "30min".into()
}

/// A stored plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRecord {
    pub id: String,
    pub service: String,
    pub environment: String,
    pub to_version: i64,
    pub to_digest: String,
    pub from_fingerprint: Option<String>,
    pub state: PlanState,
    /// The plan, once computed.
    pub body: Option<PlanBody>,
    /// The verification's summary, once verified.
    pub verification: Option<String>,
    pub error: Option<String>,
    pub requested_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// The digest of the plan's content (its SQL), once computed: approvals belong to it.
    pub plan_digest: Option<String>,
    /// Why an admin let the plan past the promotion gate, if one did.
    pub override_reason: Option<String>,
    /// The steps an apply ran, with their timings (JSON text).
    pub steps_log: Option<String>,
}

const COLUMNS: &str = "id, service, environment, to_version, to_digest, from_fingerprint, state, body, \
     verification, error, requested_by, created_at, updated_at, plan_digest, override_reason, steps_log, lease_until";

/// Why a plan left in `state` by a registry that stopped (its lease ran out) failed; `None`
/// for a state no registry works in.
fn abandoned(state: PlanState) -> Option<&'static str> {
    match state {
        PlanState::Computing => Some("the registry computing this plan stopped before it was done: create it again"),
        PlanState::Applying => Some(
            "the registry applying this plan stopped before it was done: each transactional group either \
             committed or rolled back; read the drift of the environment and plan again",
        ),
        _ => None,
    }
}

/// A plan as read. One whose lease ran out while a registry worked on it is read as failed,
/// saying why, at once (the reaper writes it so, with its event, within a second).
fn plan(row: &AnyRow) -> Result<PlanRecord, StoreError> {
    let mut plan = stored_plan(row)?;
    let lease_until: Option<String> = row.try_get("lease_until")?;
    if let Some(why) = abandoned(plan.state)
        && lease_until.is_none_or(|until| until < now())
    {
        plan.state = PlanState::Failed;
        plan.error = Some(why.to_string());
    }
    Ok(plan)
}

fn stored_plan(row: &AnyRow) -> Result<PlanRecord, StoreError> {
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
        body: row
            .try_get::<Option<String>, _>("body")?
            .map(|b| json_column("plan body", &b))
            .transpose()?,
        verification: row.try_get("verification")?,
        error: row.try_get("error")?,
        requested_by: row.try_get("requested_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        plan_digest: row.try_get("plan_digest")?,
        override_reason: row.try_get("override_reason")?,
        steps_log: row.try_get("steps_log")?,
    })
}

/// How an apply ended, as [`Store::finish_apply`] records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishedApply {
    /// The state the plan moves to from `applying`.
    pub to: PlanState,
    pub error: Option<String>,
    /// The steps that ran (JSON text), when any did.
    pub steps_log: Option<String>,
    /// What verification after the apply found.
    pub verification: Option<String>,
    /// Whether the plan's version is now in the database.
    pub applied: bool,
}

/// A computed plan's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOutcome {
    pub state: PlanState,
    pub from_fingerprint: Option<String>,
    pub body: Option<PlanBody>,
    pub verification: Option<String>,
    pub error: Option<String>,
    pub plan_digest: Option<String>,
}

impl Store {
    /// Records a plan as `computing`, with a lease of `new.lease_secs`, supersedes the open
    /// plans for the same service and environment, and appends `audit`, in one transaction.
    pub async fn create_plan(&self, new: &NewPlan, audit: &[NewAuditEntry]) -> Result<PlanRecord, StoreError> {
        let at = now();
        // One transaction, serialised per environment by a write to its row (a row lock in
        // PostgreSQL, the write lock in SQLite): of plans created at once for one service and
        // environment, exactly the last one stays live.
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE environments SET name = name WHERE name = $1")
            .bind(&new.environment)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!(
            "INSERT INTO plans ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, NULL, $6, NULL, NULL, NULL, $7, $8, $8, NULL, $10, NULL, $9)"
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
        .bind(new.override_reason.as_deref())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE plans SET state = $1, updated_at = $2 \
             WHERE service = $3 AND environment = $4 AND id <> $5 AND state IN ($6, $7, $8)",
        )
        .bind(PlanState::Superseded.as_str())
        .bind(&at)
        .bind(&new.service)
        .bind(&new.environment)
        .bind(&new.id)
        .bind(PlanState::Computing.as_str())
        .bind(PlanState::PendingApproval.as_str())
        .bind(PlanState::Approved.as_str())
        .execute(&mut *tx)
        .await?;
        append_all_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.existing_plan(&new.id).await
    }

    /// Stores a computing plan's outcome, with its events: `plan.computed` and then
    /// `plan.pending_approval` or `plan.approved` (caused by the policy, when it asks for no
    /// approval), or `plan.failed`, and `audit`. Nothing when the plan is no longer computing.
    pub async fn finish_plan(
        &self,
        id: &str,
        outcome: &PlanOutcome,
        audit: &[NewAuditEntry],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE plans SET state = $2, from_fingerprint = $3, body = $4, verification = $5, error = $6, \
             updated_at = $7, plan_digest = $9 WHERE id = $1 AND state = $8 RETURNING {COLUMNS}"
        ))
        .bind(id)
        .bind(outcome.state.as_str())
        .bind(outcome.from_fingerprint.as_deref())
        .bind(outcome.body.as_ref().map(to_json))
        .bind(outcome.verification.as_deref())
        .bind(outcome.error.as_deref())
        .bind(now())
        .bind(PlanState::Computing.as_str())
        .bind(outcome.plan_digest.as_deref())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = row {
            let record = plan(&row)?;
            let (kinds, by) = match record.state {
                PlanState::PendingApproval => (
                    vec![EventKind::PlanComputed, EventKind::PlanPendingApproval],
                    "registry",
                ),
                PlanState::Approved => (vec![EventKind::PlanComputed, EventKind::PlanApproved], "policy"),
                PlanState::Failed => (vec![EventKind::PlanFailed], "registry"),
                _ => (vec![EventKind::PlanComputed], "registry"),
            };
            let events: Vec<NewEvent> = kinds.into_iter().map(|k| NewEvent::plan(k, &record, by)).collect();
            self.write_events(&mut tx, &events).await?;
            append_all_in(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Moves a plan from one of `from` to `to` (recording `error` when given) and writes the
    /// events the move causes, caused by `by`, and `audit`, in one transaction; false (and
    /// nothing written) when the plan was in none of `from` (another request moved it first).
    pub async fn transition_plan(
        &self,
        id: &str,
        from: &[PlanState],
        to: PlanState,
        error: Option<&str>,
        by: &str,
        audit: &[NewAuditEntry],
    ) -> Result<bool, StoreError> {
        let states: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        let list = (0..states.len())
            .map(|i| format!("${}", i + 5))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE plans SET state = $2, error = COALESCE($3, error), updated_at = $4 \
             WHERE id = $1 AND state IN ({list}) RETURNING {COLUMNS}"
        );
        let mut query = sqlx::query(&sql).bind(id).bind(to.as_str()).bind(error).bind(now());
        for s in states {
            query = query.bind(s);
        }
        let mut tx = self.pool.begin().await?;
        let Some(row) = query.fetch_optional(&mut *tx).await? else {
            return Ok(false);
        };
        self.write_move(&mut tx, &plan(&row)?, from, to, by).await?;
        append_all_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Extends a computing or applying plan's lease (its registry is still at work on it).
    pub async fn renew_plan(&self, id: &str, lease_secs: u64) -> Result<(), StoreError> {
        sqlx::query("UPDATE plans SET lease_until = $2 WHERE id = $1 AND state IN ($3, $4)")
            .bind(id)
            .bind(after(lease_secs))
            .bind(PlanState::Computing.as_str())
            .bind(PlanState::Applying.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends a computing or applying plan's lease (and the apply locks it holds) at once: its
    /// registry is stopping.
    pub async fn expire_plan_lease(&self, id: &str) -> Result<(), StoreError> {
        // Before any time this store writes.
        let past = "0000-00-00T00:00:00.000Z";
        sqlx::query("UPDATE plans SET lease_until = $2 WHERE id = $1 AND state IN ($3, $4)")
            .bind(id)
            .bind(past)
            .bind(PlanState::Computing.as_str())
            .bind(PlanState::Applying.as_str())
            .execute(&self.pool)
            .await?;
        sqlx::query("UPDATE locks SET until = $2 WHERE holder = $1")
            .bind(id)
            .bind(past)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Plans whose lease ran out while `computing` or `applying` (the registry working on them
    /// stopped) are marked failed with what that means, so none waits for ever; plans other
    /// replicas are working on are left alone.
    pub async fn fail_abandoned_plans(&self) -> Result<u64, StoreError> {
        let at = now();
        // A read first: the reaper asks every second, and a write transaction that changes
        // nothing would still queue behind (and before) every other writer of the store.
        let any = sqlx::query(
            "SELECT 1 AS one FROM plans WHERE state IN ($1, $2) AND (lease_until IS NULL OR lease_until < $3) LIMIT 1",
        )
        .bind(PlanState::Computing.as_str())
        .bind(PlanState::Applying.as_str())
        .bind(&at)
        .fetch_optional(&self.pool)
        .await?;
        if any.is_none() {
            return Ok(0);
        }
        let mut failed = 0;
        for state in [PlanState::Computing, PlanState::Applying] {
            let why = abandoned(state).expect("a state registries work in");
            let mut tx = self.pool.begin().await?;
            let rows = sqlx::query(&format!(
                "UPDATE plans SET state = $1, error = $2, updated_at = $3 \
                 WHERE state = $4 AND (lease_until IS NULL OR lease_until < $3) RETURNING {COLUMNS}"
            ))
            .bind(PlanState::Failed.as_str())
            .bind(why)
            .bind(&at)
            .bind(state.as_str())
            .fetch_all(&mut *tx)
            .await?;
            let events = rows
                .iter()
                .map(|row| Ok(NewEvent::plan(EventKind::PlanFailed, &plan(row)?, "registry")))
                .collect::<Result<Vec<_>, StoreError>>()?;
            self.write_events(&mut tx, &events).await?;
            tx.commit().await?;
            failed += rows.len() as u64;
        }
        Ok(failed)
    }

    /// Writes the events of `record`'s move from one of `from` to `to`, caused by `by`.
    async fn write_move(
        &self,
        conn: &mut sqlx::AnyConnection,
        record: &PlanRecord,
        from: &[PlanState],
        to: PlanState,
        by: &str,
    ) -> Result<(), StoreError> {
        let events: Vec<NewEvent> = super::transitions::plan_events(from, to)
            .into_iter()
            .map(|k| NewEvent::plan(k, record, by))
            .collect();
        self.write_events(conn, &events).await
    }

    /// Records what verification after an apply reported by a pipeline found.
    pub async fn record_verification(&self, id: &str, verification: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE plans SET verification = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(verification)
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records how an apply of a plan in `applying` ended, in one transaction: the steps it
    /// ran and the version now in the database (whatever became of the plan meanwhile: they
    /// happened), what verification found, the move to `finished.to` with its events (caused
    /// by the registry), and `audit` (the steps' entries, then the apply's).
    pub async fn finish_apply(
        &self,
        id: &str,
        finished: &FinishedApply,
        audit: &[NewAuditEntry],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE plans SET steps_log = COALESCE($2, steps_log), updated_at = $3 WHERE id = $1 RETURNING {COLUMNS}"
        ))
        .bind(id)
        .bind(finished.steps_log.as_deref())
        .bind(now())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("plan {id:?} does not exist")))?;
        let record = plan(&row)?;
        if finished.applied {
            sqlx::query("UPDATE bindings SET applied_version = $3 WHERE service = $1 AND environment = $2")
                .bind(&record.service)
                .bind(&record.environment)
                .bind(record.to_version)
                .execute(&mut *tx)
                .await?;
        }
        let moved = sqlx::query(&format!(
            "UPDATE plans SET state = $2, error = COALESCE($3, error), verification = COALESCE($4, verification) \
             WHERE id = $1 AND state = $5 RETURNING {COLUMNS}"
        ))
        .bind(id)
        .bind(finished.to.as_str())
        .bind(finished.error.as_deref())
        .bind(finished.verification.as_deref())
        .bind(PlanState::Applying.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = moved {
            self.write_move(&mut tx, &plan(&row)?, &[PlanState::Applying], finished.to, "registry")
                .await?;
        }
        append_all_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
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
