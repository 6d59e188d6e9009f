//! Applying an approved plan: by the registry (`/apply`, under a lock per target database,
//! re-checked against the live schema) or by a pipeline that reports back (`/report`). Either
//! way the registry then reads the database again: `verified` when it equals the version.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use schemareg_adapters::store::PlanState;
use serde::Deserialize;
use utoipa::ToSchema;

use super::approvals::{answer, wrong_state};
use super::plans::PlanView;
use crate::audit::{self, Event, Origin};
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::problem::responses as r;
use crate::registry::applying;
use crate::state::AppState;

/// Applies an approved plan (deployer). Answers with the plan once applied and verified, or
/// 202 `applying` with `Location` when it takes longer: poll it.
#[utoipa::path(post, path = "/v1/plans/{id}/apply", tag = "plans", operation_id = "applyPlan",
    summary = "Apply an approved plan", security(("bearer" = [])),
    params(("id" = String, Path, description = "The plan's id", example = "plan_6f1c2a9e0b7d4c31")),
    responses(
        (status = 200, description = "Applied: `verified`, `applied` (with drift), `failed` (the step and PostgreSQL's error) or `stale`", body = PlanView),
        (status = 202, description = "Still applying: poll `Location`", body = PlanView),
        r::Unauthorized, r::Forbidden, r::NotFound, r::Conflict, r::Unavailable,
    ))]
pub async fn apply_plan(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    who.require(Role::Deployer)?;
    let plan = state.store.existing_plan(&id).await?;
    who.require_scope(Some(&plan.service), Some(&plan.environment))?;
    if plan.state != PlanState::Approved {
        return Err(wrong_state(&plan, "applied", &[PlanState::Approved]));
    }
    let service = state.store.existing_service(&plan.service).await?;
    let binding = state.store.existing_binding(&plan.service, &plan.environment).await?;
    // The live schema must still be the one the plan was computed from (checked again under
    // the database's advisory lock when the apply starts).
    let live = crate::registry::live::read(&state, &service, &binding).await?;
    if plan.from_fingerprint.as_deref() != Some(live.fingerprint.as_str()) {
        let message = format!(
            "the live schema changed since plan {id} was computed (now {}, then {}): plan again",
            live.fingerprint,
            plan.from_fingerprint.as_deref().unwrap_or("unknown")
        );
        if state
            .store
            .transition_plan(&id, &[PlanState::Approved], PlanState::Stale, Some(&message))
            .await?
        {
            let event = Event::new("plan.stale")
                .on(&plan.service, Some(&plan.environment))
                .target(&id)
                .detail(serde_json::json!({"live_fingerprint": live.fingerprint}));
            audit::record(&state, &who.subject, &origin, "failed", event).await;
        }
        return Err(ApiError::Conflict(message));
    }
    let lock = applying::lock_name(&crate::registry::live::target(&state, &binding)?);
    if !state.store.acquire_lock(&lock, &id, state.config.lease_secs).await? {
        let holder = state.store.lock_holder(&lock).await?.unwrap_or_default();
        return Err(ApiError::Conflict(format!(
            "another apply is running on this database (plan {holder}): one apply per database at a time"
        )));
    }
    if !state
        .store
        .transition_plan(&id, &[PlanState::Approved], PlanState::Applying, None)
        .await?
    {
        state.store.release_lock(&lock, &id).await?;
        let now = state.store.existing_plan(&id).await?;
        return Err(wrong_state(&now, "applied", &[PlanState::Approved]));
    }
    state.store.renew_plan(&id, state.config.lease_secs).await?;
    let event = Event::new("plan.apply.start")
        .on(&plan.service, Some(&plan.environment))
        .target(&id);
    audit::done(&state, &who, &origin, event).await;
    let task = tokio::spawn(applying::apply(state.clone(), plan, service, binding, lock, origin));
    let wait = Duration::from_secs((state.config.request_timeout_secs / 3).clamp(1, 10));
    let finished = tokio::time::timeout(wait, task).await.is_ok();
    let status = if finished { StatusCode::OK } else { StatusCode::ACCEPTED };
    answer(&state, &id, status).await
}

/// What the pipeline's apply came to.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum Outcome {
    Applied,
    Failed,
}

/// What a pipeline that applied a plan itself reports.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "applied", "message": "applied by deploy #412"}))]
pub struct Report {
    /// `applied` or `failed`.
    #[schema(value_type = Outcome)]
    pub outcome: String,
    #[serde(default)]
    pub message: String,
}

/// Reports a plan applied (or failed) by a pipeline (deployer). After `applied` the registry
/// reads the database: `verified` when it equals the version, else `applied` with the drift.
#[utoipa::path(post, path = "/v1/plans/{id}/report", tag = "plans", operation_id = "reportPlan",
    summary = "Report a plan applied by a pipeline", security(("bearer" = [])),
    params(("id" = String, Path, description = "The plan's id", example = "plan_6f1c2a9e0b7d4c31")),
    request_body(content = Report, content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded, and checked against the live database", body = PlanView),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::Conflict, r::PayloadTooLarge,
        r::UnsupportedMediaType, r::Unprocessable, r::Unavailable,
    ))]
pub async fn report_plan(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    Path(id): Path<String>,
    report: JsonBody<Report>,
) -> Result<Response, ApiError> {
    who.require(Role::Deployer)?;
    let plan = state.store.existing_plan(&id).await?;
    who.require_scope(Some(&plan.service), Some(&plan.environment))?;
    let report = report.read().await?;
    let to = match report.outcome.as_str() {
        "applied" => PlanState::Applied,
        "failed" => PlanState::Failed,
        other => {
            return Err(ApiError::invalid(
                crate::error::Invalid::Report,
                "outcome",
                format!("outcome {} is neither applied nor failed", crate::error::echo(other)),
            ));
        }
    };
    let message = (to == PlanState::Failed).then(|| format!("reported failed by {}: {}", who.subject, report.message));
    if !state
        .store
        .transition_plan(&id, &[PlanState::Approved], to, message.as_deref())
        .await?
    {
        return Err(wrong_state(&plan, "reported", &[PlanState::Approved]));
    }
    let event = Event::new("plan.report")
        .on(&plan.service, Some(&plan.environment))
        .target(&id)
        .detail(serde_json::json!({"outcome": report.outcome, "message": report.message}));
    audit::done(&state, &who, &origin, event).await;
    if to == PlanState::Applied {
        state
            .store
            .record_applied(&plan.service, &plan.environment, plan.to_version)
            .await?;
        let service = state.store.existing_service(&plan.service).await?;
        let binding = state.store.existing_binding(&plan.service, &plan.environment).await?;
        let check = applying::check(&state, &plan, &service, &binding).await?;
        let (next, verification) = applying::verified_state(plan.to_version, &check);
        state.store.record_verification(&id, &verification).await?;
        if next == PlanState::Verified {
            state
                .store
                .transition_plan(&id, &[PlanState::Applied], PlanState::Verified, None)
                .await?;
        }
    }
    answer(&state, &id, StatusCode::OK).await
}
