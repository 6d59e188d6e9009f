//! Computing a plan in the background: read the live database, plan to the version, verify the
//! plan in a scratch database, store the outcome.

use schemareg_adapters::pg::Client;
use schemareg_adapters::store::{Binding, NewPlan, PlanBody, PlanOutcome, PlanRecord, PlanState, Service, Version};
use schemareg_engine::plan::{PlanOptions, ScriptOptions, render_rollback_script, render_script};
use serde_json::json;

use super::approval;
use crate::audit::{self, AuditAction, Event, Origin};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::policy::Policy;
use crate::state::AppState;

/// What to plan.
pub struct Request {
    pub id: String,
    pub service: Service,
    pub binding: Binding,
    pub version: Version,
    pub concurrently: bool,
    /// The environment's policy: the script's timeouts, allowed hazards, approvals.
    pub policy: Policy,
}

/// A plan someone asked for.
pub struct Asked {
    pub service: String,
    pub environment: String,
    /// A number, `latest` or `sha256:…`.
    pub version: String,
    pub concurrently: bool,
    pub override_reason: Option<String>,
}

/// Makes the plan `who` asked for (their role and scope checked by the caller): the binding
/// must be usable, the version must pass the promotion gate; the plan is stored `computing`
/// (superseding older ones) and computed in the background. The plan as it is after `wait`,
/// and whether it was computed by then.
pub async fn request(
    state: &AppState,
    who: &Principal,
    origin: &Origin,
    asked: Asked,
    wait: std::time::Duration,
) -> Result<(PlanRecord, bool), ApiError> {
    let Asked {
        service, environment, ..
    } = &asked;
    let at = super::version_ref(&asked.version)?;
    let svc = state.store.existing_service(service).await?;
    state.store.existing_environment(environment).await?;
    let binding = state.store.existing_binding(service, environment).await?;
    // A binding whose secret cannot be read makes no plan (409), not a failed one.
    super::live::target(state, &binding)?;
    let version = state.store.existing_version(service, &at).await?;
    let override_reason = super::promotion::gate(
        &state.store,
        who,
        service,
        environment,
        &version,
        asked.override_reason.as_deref(),
    )
    .await?;
    let policy = crate::policy::current(&state.store, environment).await?.policy;
    let id = format!("plan_{}", schemareg_adapters::random_hex(8));
    let mut audited = vec![audit::by(
        who,
        origin,
        Event::new(AuditAction::PlanCreate)
            .on(service, Some(environment))
            .target(&id)
            .detail(json!({"to_version": version.number, "to_digest": version.digest})),
    )];
    if let Some(reason) = &override_reason {
        let event = Event::new(AuditAction::PlanOverride)
            .on(service, Some(environment))
            .target(&id)
            .detail(json!({"reason": reason, "to_version": version.number}));
        audited.push(audit::by(who, origin, event));
    }
    let record = state
        .store
        .create_plan(
            &NewPlan {
                id: id.clone(),
                service: service.clone(),
                environment: environment.clone(),
                to_version: version.number,
                to_digest: version.digest.clone(),
                requested_by: who.subject.clone(),
                lease_secs: state.config.lease_secs,
                override_reason: override_reason.clone(),
            },
            &audited,
        )
        .await?;
    let task = tokio::spawn(compute(
        state.clone(),
        Request {
            id: id.clone(),
            service: svc,
            binding,
            version,
            concurrently: asked.concurrently || policy.concurrently,
            policy,
        },
    ));
    // Wait a little (well inside the request timeout); a slow plan goes on in the background.
    if tokio::time::timeout(wait, task).await.is_err() {
        return Ok((record, false));
    }
    let done = state.store.existing_plan(&id).await?;
    let finished = done.state != PlanState::Computing;
    Ok((done, finished))
}

/// Computes the plan and stores its outcome; errors become a `failed` plan that says why. The
/// plan's lease is renewed meanwhile, so other replicas know it is still being worked on.
pub async fn compute(state: AppState, request: Request) {
    let result = super::lease::with_lease(&state, &request.id, None, outcome(&state, &request)).await;
    let outcome = match result {
        Ok(o) => o,
        Err(e) => PlanOutcome {
            state: PlanState::Failed,
            from_fingerprint: None,
            body: None,
            verification: None,
            error: Some(e.to_string()),
            plan_digest: None,
        },
    };
    let event = Event::new(AuditAction::PlanComputed)
        .on(&request.service.name, Some(&request.binding.environment))
        .target(&request.id)
        .detail(serde_json::json!({"state": outcome.state.as_str(), "error": outcome.error}));
    let result = if outcome.state == PlanState::Failed {
        "failed"
    } else {
        "ok"
    };
    let audited = [audit::by_registry(&Origin::default(), result, event)];
    if let Err(e) = state.store.finish_plan(&request.id, &outcome, &audited).await {
        tracing::error!(plan = %request.id, error = %e, "cannot store a computed plan");
    }
}

async fn outcome(state: &AppState, r: &Request) -> Result<PlanOutcome, ApiError> {
    // One place in the budget of the bound database's server for the whole computation.
    let (client, _) = super::live::connect(state, &r.binding, None).await?;
    let options = PlanOptions {
        concurrently: r.concurrently,
        ..PlanOptions::default()
    };
    let (live, planned) =
        super::live::plan_version(state, &client, &r.service, &r.binding, r.version.number, options).await?;
    let computed = planned.plan;
    let fingerprint = live.fingerprint;
    let script = ScriptOptions {
        lock_timeout: r.policy.lock_timeout.clone(),
        statement_timeout: r.policy.statement_timeout.clone(),
    };
    let sql = render_script(&computed, &script);
    let hazards = computed.hazard_kinds();
    // The rows that would make a step fail, counted on the bound database before anyone
    // approves (read-only, each check within the policy's statement timeout).
    let data_checks =
        schemareg_adapters::data_checks::check_plan(&client, &computed, &data_check_limits(&r.policy)).await;
    let body = PlanBody {
        data_checks,
        rollback_sql: render_rollback_script(&computed, &script),
        plan: computed.clone(),
        hazards: hazards.clone(),
        sql: sql.clone(),
        lock_timeout: script.lock_timeout,
        statement_timeout: script.statement_timeout,
    };
    let mut outcome = PlanOutcome {
        state: PlanState::PendingApproval,
        plan_digest: Some(schemareg_engine::canonical::sha256_digest(sql.as_bytes())),
        from_fingerprint: Some(fingerprint.clone()),
        body: Some(body),
        verification: None,
        error: None,
    };
    if computed.is_empty() {
        // Nothing to do: the live database already is the version there.
        outcome.state = PlanState::Verified;
        outcome.verification = Some(format!(
            "no changes: the live database already is version {}",
            r.version.number
        ));
        let now = schemareg_adapters::store::now();
        super::drift::record(
            state,
            &r.binding,
            &super::drift::in_sync(r.version.number, &now, &fingerprint),
        )
        .await?;
        return Ok(outcome);
    }
    // The roles the plan grants to (or names in policies) must exist where it is applied.
    let missing = missing_roles(&client, &r.binding, &computed.roles).await?;
    drop(client);
    if !missing.is_empty() {
        outcome.state = PlanState::Failed;
        outcome.error = Some(format!(
            "the plan needs roles (it grants to them or names them in policies) that the database of {} in {} does not have: {}; create them there (CREATE ROLE …) and plan again",
            r.service.name,
            r.binding.environment,
            missing.join(", ")
        ));
        return Ok(outcome);
    }
    let (from, to) = (&planned.compared.from, &planned.compared.to);
    let report = schemareg_adapters::verify::verify(&state.scratch, &live.scope, from, to, &computed).await?;
    outcome.verification = Some(report.summary());
    if !report.passed() {
        outcome.state = PlanState::Failed;
        outcome.error = Some(format!("the plan did not verify: {}", report.summary()));
        return Ok(outcome);
    }
    match approval::computed_state(&r.policy, &hazards) {
        Ok(next) => outcome.state = next,
        Err(refusal) => {
            outcome.state = PlanState::Failed;
            outcome.error = Some(refusal);
        }
    }
    Ok(outcome)
}

/// The most rows of a table a check on the live rows reads: past it, a count is a lower bound.
const DATA_CHECK_MAX_ROWS: u64 = 1_000_000;

/// How far the checks on the live rows go under `policy`.
fn data_check_limits(policy: &crate::policy::Policy) -> schemareg_adapters::data_checks::Limits {
    // A policy's timeouts are checked when it is written; the defaults' values otherwise.
    let millis = |text: &str, default| schemareg_engine::plan::duration_millis(text).unwrap_or(default);
    schemareg_adapters::data_checks::Limits {
        lock_timeout: std::time::Duration::from_millis(millis(&policy.lock_timeout, 10_000)),
        statement_timeout: std::time::Duration::from_millis(millis(&policy.statement_timeout, 1_800_000)),
        max_rows: Some(DATA_CHECK_MAX_ROWS),
    }
}

/// Of the roles a plan needs, those the bound database's server does not have.
async fn missing_roles(client: &Client, binding: &Binding, roles: &[String]) -> Result<Vec<String>, ApiError> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    schemareg_adapters::introspect::missing_roles(client, roles)
        .await
        .map_err(|e| {
            ApiError::Unavailable(format!(
                "the database of {} in {} cannot be read: {e}",
                binding.service, binding.environment
            ))
        })
}
