//! Applying an approved plan: by the registry (`/apply`, under a lock per target database,
//! re-checked against the live schema) or by a pipeline that reports back (`/report`). Either
//! way the registry then reads the database again: `verified` when it equals the version.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;

use super::approvals::answer;
use super::plans::PlanView;
use crate::audit::Origin;
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::middleware::idempotency::Idempotency;
use crate::http::problem::responses as r;
use crate::registry::{applying, reporting};
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
    idem: Idempotency,
) -> Result<Response, ApiError> {
    who.require(Role::Deployer)?;
    let plan = crate::registry::visible_plan(&state, &who, &id).await?;
    idem.pass(&state).await?;
    let wait = Duration::from_secs((state.config.request_timeout_secs / 3).clamp(1, 10));
    let finished = applying::start(&state, &who, &origin, plan, wait).await?;
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
    idem: Idempotency,
    report: JsonBody<Report>,
) -> Result<Response, ApiError> {
    who.require(Role::Deployer)?;
    let plan = crate::registry::visible_plan(&state, &who, &id).await?;
    idem.pass(&state).await?;
    let report = report.read().await?;
    reporting::report(&state, &who, &origin, &plan, &report.outcome, &report.message).await?;
    answer(&state, &id, StatusCode::OK).await
}
