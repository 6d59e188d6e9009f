//! Applying an approved plan by the registry: under the store's lock for the target database
//! and PostgreSQL's advisory lock on it, after checking that the live schema is still the one
//! the plan was computed from and that the stored plan is the one approved; then reading the
//! database again to verify it.

use schemareg_adapters::execute::{StepDone, run_logged};
use schemareg_adapters::pg::Target;
use schemareg_adapters::store::{Binding, FinishedApply, PlanRecord, PlanState, Service};
use schemareg_engine::plan::{Plan, ScriptOptions, render_script};
use serde_json::json;

use crate::audit::{self, AuditAction, Event, Origin};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;

/// The advisory lock key schemareg takes on a target database while applying.
const ADVISORY_KEY: i64 = 0x5343_4845_4d41_5247; // "SCHEMARG"

/// The name of the store lock for a target database (its host and name, never its URL).
pub fn lock_name(target: &Target) -> String {
    format!("apply:{}/{}", target.host(), target.database())
}

/// What an apply came to.
enum Outcome {
    /// Someone else holds the database's advisory lock.
    Busy,
    /// The live schema is not the one the plan was computed from.
    Stale { live: String },
    /// A step failed; its transactional group rolled back.
    Failed { message: String, steps: Vec<StepDone> },
    /// Every step ran; `differences` is what still differs from the version.
    Applied { steps: Vec<StepDone>, check: Check },
}

/// The live database compared with the plan's version after an apply.
pub struct Check {
    pub differences: usize,
    pub fingerprint: String,
}

/// Reads the bound database again and compares it with the plan's version; records the drift
/// (in sync: the version is verified there).
pub async fn check(
    state: &AppState,
    plan: &PlanRecord,
    service: &Service,
    binding: &Binding,
) -> Result<Check, ApiError> {
    let checked = super::drift::check(state, service, binding, plan.to_version).await?;
    Ok(Check {
        differences: checked.changes.len(),
        fingerprint: checked.live.fingerprint,
    })
}

/// The stored plan and the script options it was approved with, checked against its digest.
fn stored(plan: &PlanRecord) -> Result<(Plan, ScriptOptions), ApiError> {
    let body = plan
        .body
        .as_ref()
        .ok_or_else(|| ApiError::Internal(format!("plan {} has no stored steps", plan.id)))?;
    let steps = body.plan.clone();
    let options = ScriptOptions {
        lock_timeout: body.lock_timeout.clone(),
        statement_timeout: body.statement_timeout.clone(),
    };
    let digest = schemareg_engine::canonical::sha256_digest(render_script(&steps, &options).as_bytes());
    if plan.plan_digest.as_deref() != Some(digest.as_str()) {
        return Err(ApiError::Internal(format!(
            "plan {} does not match the digest it was approved with: refusing to apply it",
            plan.id
        )));
    }
    Ok((steps, options))
}

async fn run(state: &AppState, plan: &PlanRecord, service: &Service, binding: &Binding) -> Result<Outcome, ApiError> {
    let (steps, options) = stored(plan)?;
    let target = super::live::target(state, binding)?;
    let client = target
        .connect()
        .await
        .map_err(|e| super::live::does_not_answer((&plan.service, &plan.environment), &target, &e))?;
    let locked: bool = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&ADVISORY_KEY])
        .await
        .map_err(|e| ApiError::Unavailable(schemareg_adapters::pg::error_text(&e)))?
        .get(0);
    if !locked {
        return Ok(Outcome::Busy);
    }
    // Read on the apply's own connection: an apply holds one place in its server's budget.
    let live = super::live::read_on(&client, service, binding).await?;
    if plan.from_fingerprint.as_deref() != Some(live.fingerprint.as_str()) {
        return Ok(Outcome::Stale { live: live.fingerprint });
    }
    let mut done = Vec::new();
    if let Err(failed) = run_logged(&client, &steps, &options, false, &mut done).await {
        return Ok(Outcome::Failed {
            message: failed.to_string(),
            steps: done,
        });
    }
    let _ = client.query("SELECT pg_advisory_unlock($1)", &[&ADVISORY_KEY]).await;
    // Its place is given back before the check takes one.
    drop(client);
    Ok(Outcome::Applied {
        steps: done,
        check: check(state, plan, service, binding).await?,
    })
}

/// Starts applying an approved plan for `who` (whose role and scope the caller has checked):
/// the live schema must still be the plan's (else it is `stale`, 409), one apply per database
/// at a time (409), the plan moves to `applying` and runs in the background. True when it
/// finished within `wait`.
pub async fn start(
    state: &AppState,
    who: &Principal,
    origin: &Origin,
    plan: PlanRecord,
    wait: std::time::Duration,
) -> Result<bool, ApiError> {
    let id = plan.id.clone();
    if plan.state != PlanState::Approved {
        return Err(super::decisions::wrong_state(&plan, "applied", &[PlanState::Approved]));
    }
    let service = state.store.existing_service(&plan.service).await?;
    let binding = state.store.existing_binding(&plan.service, &plan.environment).await?;
    // The live schema must still be the one the plan was computed from (checked again under
    // the database's advisory lock when the apply starts).
    let live = super::live::read(state, &service, &binding).await?;
    if plan.from_fingerprint.as_deref() != Some(live.fingerprint.as_str()) {
        let message = format!(
            "the live schema changed since plan {id} was computed (now {}, then {}): plan again",
            live.fingerprint,
            plan.from_fingerprint.as_deref().unwrap_or("unknown")
        );
        let event = Event::new(AuditAction::PlanStale)
            .on(&plan.service, Some(&plan.environment))
            .target(&id)
            .detail(json!({"live_fingerprint": live.fingerprint}));
        state
            .store
            .transition_plan(
                &id,
                &[PlanState::Approved],
                PlanState::Stale,
                Some(&message),
                &who.subject,
                &[audit::entry(&who.subject, origin, "failed", event)],
            )
            .await?;
        return Err(ApiError::Conflict(message));
    }
    let lock = lock_name(&super::live::target(state, &binding)?);
    if !state.store.acquire_lock(&lock, &id, state.config.lease_secs).await? {
        let holder = state.store.lock_holder(&lock).await?.unwrap_or_default();
        return Err(ApiError::Conflict(format!(
            "another apply is running on this database (plan {holder}): one apply per database at a time"
        )));
    }
    let event = Event::new(AuditAction::PlanApplyStart)
        .on(&plan.service, Some(&plan.environment))
        .target(&id);
    if !state
        .store
        .transition_plan(
            &id,
            &[PlanState::Approved],
            PlanState::Applying,
            None,
            &who.subject,
            &[audit::by(who, origin, event)],
        )
        .await?
    {
        state.store.release_lock(&lock, &id).await?;
        let now = state.store.existing_plan(&id).await?;
        return Err(super::decisions::wrong_state(&now, "applied", &[PlanState::Approved]));
    }
    state.store.renew_plan(&id, state.config.lease_secs).await?;
    let task = tokio::spawn(apply(state.clone(), plan, service, binding, lock, origin.clone()));
    Ok(tokio::time::timeout(wait, task).await.is_ok())
}

/// Applies the plan (already moved to `applying`, the store lock `lock` held) and records the
/// outcome: `verified`, `applied` with drift, `failed`, `stale`, or back to `approved` when
/// another tool holds the database.
pub async fn apply(
    state: AppState,
    plan: PlanRecord,
    service: Service,
    binding: Binding,
    lock: String,
    origin: Origin,
) {
    let result = super::lease::with_lease(&state, &plan.id, Some(&lock), run(&state, &plan, &service, &binding)).await;
    if let Err(e) = state.store.release_lock(&lock, &plan.id).await {
        tracing::warn!(plan = %plan.id, error = %e, "cannot release an apply lock");
    }
    if let Err(e) = record(&state, &plan, result, &origin).await {
        tracing::error!(plan = %plan.id, error = %e, "cannot record an apply");
    }
}

async fn record(
    state: &AppState,
    plan: &PlanRecord,
    result: Result<Outcome, ApiError>,
    origin: &Origin,
) -> Result<(), ApiError> {
    let (finished, steps, outcome, detail) = match result {
        Err(e) => {
            let message = e.to_string();
            let detail = json!({"error": message});
            (ended(PlanState::Failed, message), Vec::new(), "failed", detail)
        }
        Ok(Outcome::Busy) => {
            let message = "another apply holds the database's advisory lock: apply again later";
            let detail = json!({"error": message});
            (ended(PlanState::Approved, message.into()), Vec::new(), "denied", detail)
        }
        Ok(Outcome::Stale { live }) => {
            let message = format!(
                "the live schema changed since the plan was computed (now {live}, then {}): plan again",
                plan.from_fingerprint.as_deref().unwrap_or("unknown")
            );
            let detail = json!({"error": message});
            (ended(PlanState::Stale, message), Vec::new(), "failed", detail)
        }
        Ok(Outcome::Failed { message, steps }) => {
            let detail = json!({"error": message, "steps": steps.len()});
            let finished = FinishedApply {
                steps_log: Some(json!(steps).to_string()),
                ..ended(PlanState::Failed, message)
            };
            (finished, steps, "failed", detail)
        }
        Ok(Outcome::Applied { steps, check }) => {
            let (to, verification) = verified_state(plan.to_version, &check);
            let detail = json!({"steps": steps.len(), "state": to.as_str(), "live_fingerprint": check.fingerprint});
            let finished = FinishedApply {
                to,
                error: None,
                steps_log: Some(json!(steps).to_string()),
                verification: Some(verification),
                applied: true,
            };
            (finished, steps, "ok", detail)
        }
    };
    // One entry per step that ran (which, how long, whether its group committed), then the
    // apply's.
    let event = |action, detail| {
        Event::new(action)
            .on(&plan.service, Some(&plan.environment))
            .target(&plan.id)
            .detail(detail)
    };
    let mut audited: Vec<_> = steps
        .iter()
        .map(|step| {
            let outcome = if step.committed { "ok" } else { "failed" };
            audit::by_registry(origin, outcome, event(AuditAction::PlanStep, json!(step)))
        })
        .collect();
    audited.push(audit::by_registry(
        origin,
        outcome,
        event(AuditAction::PlanApply, detail),
    ));
    state.store.finish_apply(&plan.id, &finished, &audited).await?;
    Ok(())
}

/// An apply that ended in `to` with `error` and changed nothing.
fn ended(to: PlanState, error: String) -> FinishedApply {
    FinishedApply {
        to,
        error: Some(error),
        steps_log: None,
        verification: None,
        applied: false,
    }
}

/// The state after an apply and what verification found.
pub fn verified_state(version: i64, check: &Check) -> (PlanState, String) {
    if check.differences == 0 {
        (
            PlanState::Verified,
            format!("verified: the live database equals version {version}"),
        )
    } else {
        (
            PlanState::Applied,
            format!(
                "applied, but the live database differs from version {version} in {} places: read its drift",
                check.differences
            ),
        )
    }
}
