//! Plans: `POST /v1/services/{service}/environments/{environment}/plans` computes a verified
//! plan from the live database to a version (polled while `computing`); `/v1/plans/{id}` reads
//! it as JSON or SQL.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemareg_adapters::store::{Approval, PlanRecord, PlanState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{sql_response, wants_sql};
use crate::audit::Origin;
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::middleware::idempotency::Idempotency;
use crate::http::problem::responses as r;
use crate::registry::planning;
use crate::state::AppState;

/// A plan to compute.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": "latest", "concurrently": false}))]
pub struct CreatePlan {
    /// The version to reach: a number, `latest` (default) or `sha256:<digest>`.
    pub version: Option<String>,
    /// Build indexes on existing tables with `CREATE INDEX CONCURRENTLY` (also when the
    /// environment's policy says so).
    #[serde(default)]
    pub concurrently: bool,
    /// An admin's written reason to plan a version not yet verified in the environment before
    /// this one (the promotion gate); kept in the audit log.
    pub override_reason: Option<String>,
}

/// A plan.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "plan_6f1c2a9e0b7d4c31", "service": "billing", "environment": "dev", "state": "pending_approval", "to_version": 3, "to_digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "from_fingerprint": "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", "verification": "verified: the plan reaches TO and the rollback brings FROM back", "error": null, "hazards": ["data_loss"], "plan": {"format": 1, "steps": []}, "sql": "SET lock_timeout = '10s';", "rollback_sql": "", "requested_by": "deployer", "created_at": "2026-11-25T10:00:00.000Z", "updated_at": "2026-11-25T10:00:02.000Z"}))]
pub struct PlanView {
    pub id: String,
    pub service: String,
    pub environment: String,
    /// `computing` (poll again), `pending_approval`, `approved`, `applying`, `applied`,
    /// `verified`, or `rejected`, `failed`, `stale`, `superseded`, `cancelled`.
    #[schema(schema_with = crate::http::openapi::plan_state)]
    pub state: String,
    pub to_version: i64,
    pub to_digest: String,
    /// The digest of the live schema the plan was computed from.
    pub from_fingerprint: Option<String>,
    /// What verification in a scratch database found.
    pub verification: Option<String>,
    pub error: Option<String>,
    /// Every hazard kind of the plan's steps.
    pub hazards: Vec<schemareg_engine::plan::HazardKind>,
    /// The steps: SQL, rollback, hazards, lock and transaction flag.
    pub plan: Option<schemareg_engine::plan::Plan>,
    /// The plan as a script psql applies.
    pub sql: Option<String>,
    pub rollback_sql: Option<String>,
    pub requested_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// The digest of the plan's script: approvals belong to it.
    pub plan_digest: Option<String>,
    /// Why an admin let the plan past the promotion gate.
    pub override_reason: Option<String>,
    /// The approvals given (in single reads; lists leave them out).
    pub approvals: Option<Vec<ApprovalView>>,
    /// What the checks on the live rows found when the plan was computed: for each step that
    /// existing rows can make fail, how many rows were looked at and how many fail it (a lower
    /// bound where the table holds more than a check reads), or that the check timed out.
    #[schema(value_type = Vec<DataCheckView>)]
    pub data_checks: serde_json::Value,
    /// The steps an apply ran: step, description, milliseconds, whether its group committed.
    #[schema(value_type = Option<Vec<AppliedStep>>)]
    pub applied_steps: Option<serde_json::Value>,
}

/// What a check on the live rows found.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DataCheckView {
    /// The step it is for.
    pub step: u64,
    /// What it looks for, in words (`NULLs in public.users.email`).
    pub check: String,
    /// `counted`, `timed_out` (nothing is known) or `failed` (the check could not run).
    #[schema(example = "counted")]
    pub outcome: String,
    /// Rows looked at (when counted).
    pub checked: Option<i64>,
    /// Of those, rows that make the step fail (when counted).
    pub failing: Option<i64>,
    /// False when the table holds more rows than a check reads: `failing` is a lower bound.
    pub exact: Option<bool>,
    /// What the server said (when failed).
    pub message: Option<String>,
    pub millis: u64,
}

/// A step an apply ran.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AppliedStep {
    /// The step's id in the plan.
    pub step: u64,
    pub description: String,
    /// How long it ran, in milliseconds.
    pub millis: u64,
    /// Whether its transactional group committed (false: it ran, but its group was rolled back
    /// when a later step of the group failed).
    pub committed: bool,
}

/// An approval of a plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalView {
    pub approver: String,
    pub roles: Vec<String>,
    /// The plan digest approved.
    pub plan_digest: String,
    pub comment: String,
    pub at: String,
}

impl From<Approval> for ApprovalView {
    fn from(a: Approval) -> Self {
        Self {
            approver: a.approver,
            roles: a.roles,
            plan_digest: a.plan_digest,
            comment: a.comment,
            at: a.at,
        }
    }
}

/// A plan with its approvals, for single reads.
pub async fn plan_view(state: &AppState, record: PlanRecord) -> Result<PlanView, ApiError> {
    let approvals = state.store.approvals(&record.id).await?;
    let mut view = PlanView::from(record);
    view.approvals = Some(approvals.into_iter().map(Into::into).collect());
    Ok(view)
}

impl From<PlanRecord> for PlanView {
    fn from(p: PlanRecord) -> Self {
        Self {
            id: p.id,
            service: p.service,
            environment: p.environment,
            state: p.state.as_str().into(),
            to_version: p.to_version,
            to_digest: p.to_digest,
            from_fingerprint: p.from_fingerprint,
            verification: p.verification,
            error: p.error,
            hazards: p.body.as_ref().map(|b| b.hazards.clone()).unwrap_or_default(),
            data_checks: serde_json::json!(p.body.as_ref().map(|b| b.data_checks.clone()).unwrap_or_default()),
            sql: p.body.as_ref().map(|b| b.sql.clone()),
            rollback_sql: p.body.as_ref().map(|b| b.rollback_sql.clone()),
            plan: p.body.map(|b| b.plan),
            requested_by: p.requested_by,
            created_at: p.created_at,
            updated_at: p.updated_at,
            plan_digest: p.plan_digest,
            override_reason: p.override_reason,
            approvals: None,
            applied_steps: p.steps_log.as_deref().and_then(|s| serde_json::from_str(s).ok()),
        }
    }
}

/// A service's plans, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct PlanList {
    pub items: Vec<PlanView>,
}

fn computing(location: String, view: PlanView) -> Response {
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, location), (header::RETRY_AFTER, "1".to_string())],
        Json(view),
    )
        .into_response()
}

/// Computes a plan from the live database to a version (deployer). Answers 201 with the plan
/// when it is ready within a few seconds, else 202 `computing` with `Location` and
/// `Retry-After`: poll it.
#[utoipa::path(post, path = "/v1/services/{service}/environments/{environment}/plans", tag = "plans",
    operation_id = "createPlan", summary = "Plan a migration to a version", security(("bearer" = [])),
    params(("service" = String, Path, description = "The service's name"),
        ("environment" = String, Path, description = "The environment's name", example = "dev")),
    request_body(content = CreatePlan, content_type = "application/json"),
    responses(
        (status = 201, description = "Computed (pending approval) or failed, with the reason", body = PlanView),
        (status = 202, description = "Still computing: poll `Location` after `Retry-After` seconds", body = PlanView),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::Conflict, r::PayloadTooLarge, r::UnsupportedMediaType,
        r::Unprocessable, r::Unavailable,
    ))]
pub async fn create_plan(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    Path((service, environment)): Path<(String, String)>,
    idem: Idempotency,
    body: JsonBody<CreatePlan>,
) -> Result<Response, ApiError> {
    who.require(Role::Deployer)?;
    who.require_scope(Some(&service), Some(&environment))?;
    idem.pass(&state).await?;
    let body = body.read().await?;
    let asked = planning::Asked {
        service,
        environment,
        version: body.version.unwrap_or_else(|| "latest".into()),
        concurrently: body.concurrently,
        override_reason: body.override_reason,
    };
    let wait = Duration::from_secs((state.config.request_timeout_secs / 3).clamp(1, 10));
    let (record, finished) = planning::request(&state, &who, &origin, asked, wait).await?;
    let id = record.id.clone();
    let location = format!("/v1/plans/{id}");
    if !finished {
        return Ok(computing(location, record.into()));
    }
    let done = state.store.existing_plan(&id).await?;
    if done.state == PlanState::Computing {
        return Ok(computing(location, done.into()));
    }
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(plan_view(&state, done).await?),
    )
        .into_response())
}

/// Reads a plan as JSON, or its SQL script with `Accept: application/sql`.
#[utoipa::path(get, path = "/v1/plans/{id}", tag = "plans", operation_id = "getPlan",
    summary = "Read a plan", security(("bearer" = [])),
    params(("id" = String, Path, description = "The plan's id", example = "plan_6f1c2a9e0b7d4c31")),
    responses(
        (status = 200, description = "The plan (application/json) or its script (application/sql)",
            content(
                (PlanView = "application/json"),
                (String = "application/sql", example = "SET lock_timeout = '10s';"),
            )),
        r::Unauthorized, r::Forbidden, r::NotFound, r::Conflict, r::Unavailable,
    ))]
pub async fn get_plan(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    who.require_read()?;
    let record = crate::registry::visible_plan(&state, &who, &id).await?;
    let view = plan_view(&state, record).await?;
    if wants_sql(&headers) {
        return match view.sql {
            Some(sql) => Ok(sql_response(sql)),
            None => Err(ApiError::Conflict(format!(
                "plan {id} is {}: it has no SQL{}",
                view.state,
                if view.state == "computing" {
                    " yet; poll it again"
                } else {
                    ""
                }
            ))),
        };
    }
    Ok(Json(view).into_response())
}

/// Filters of a plan list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanFilter {
    /// Only plans for this environment.
    pub environment: Option<String>,
    /// Only plans in this state (`pending_approval`, `approved`, `verified`, …).
    pub state: Option<String>,
}

/// Lists a service's plans, newest first (at most 100).
#[utoipa::path(get, path = "/v1/services/{service}/plans", tag = "plans", operation_id = "listPlans",
    summary = "List a service's plans", security(("bearer" = [])),
    params(("service" = String, Path, description = "The service's name"), PlanFilter),
    responses(
        (status = 200, description = "The plans", body = PlanList),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn list_plans(
    State(state): State<AppState>,
    who: Principal,
    Path(service): Path<String>,
    Query(filter): Query<PlanFilter>,
) -> Result<Json<PlanList>, ApiError> {
    who.require_read()?;
    who.require_scope(Some(&service), None)?;
    let wanted = filter
        .state
        .as_deref()
        .map(|s| {
            PlanState::parse(s).ok_or_else(|| {
                let states: Vec<&str> = PlanState::ALL.iter().map(|s| s.as_str()).collect();
                ApiError::BadRequest(format!("{s:?} is not a plan state ({})", states.join(", ")))
            })
        })
        .transpose()?;
    state.store.existing_service(&service).await?;
    let plans = state
        .store
        .plans(&service, filter.environment.as_deref(), wanted, 100)
        .await?;
    Ok(Json(PlanList {
        items: plans
            .into_iter()
            .filter(|p| who.covers_environment(&p.environment))
            .map(Into::into)
            .collect(),
    }))
}
