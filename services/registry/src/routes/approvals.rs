//! Deciding on a plan: `approvals`, `rejection` and `cancellation` (the rules are in
//! `registry::decisions`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use super::plans::{PlanView, plan_view};
use crate::audit::Origin;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::middleware::idempotency::Idempotency;
use crate::http::problem::responses as r;
use crate::registry::decisions;
use crate::state::AppState;

/// A note with an approval, rejection or cancellation.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"comment": "reviewed the enum changes with the data team"}))]
pub struct Note {
    #[serde(default)]
    pub comment: String,
}

pub(super) async fn answer(state: &AppState, id: &str, status: StatusCode) -> Result<Response, ApiError> {
    let record = state.store.existing_plan(id).await?;
    let view = plan_view(state, record).await?;
    Ok((status, [(header::LOCATION, format!("/v1/plans/{id}"))], Json(view)).into_response())
}

/// Approves a plan. The approval belongs to the plan's digest; when the approvals meet the
/// policy (approvals by distinct people, and an admin's for the hazards that ask for one) the
/// plan becomes `approved`.
#[utoipa::path(post, path = "/v1/plans/{id}/approvals", tag = "plans", operation_id = "approvePlan",
    summary = "Approve a plan", security(("bearer" = [])),
    params(("id" = String, Path, description = "The plan's id", example = "plan_6f1c2a9e0b7d4c31")),
    request_body(content = Note, content_type = "application/json"),
    responses(
        (status = 201, description = "Approved by this person; the plan is `approved` once its approvals suffice", body = PlanView),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::Conflict, r::PayloadTooLarge,
        r::UnsupportedMediaType, r::Unprocessable, r::Unavailable,
    ))]
pub async fn approve_plan(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    Path(id): Path<String>,
    idem: Idempotency,
    note: JsonBody<Note>,
) -> Result<Response, ApiError> {
    who.require_read()?;
    let plan = crate::registry::visible_plan(&state, &who, &id).await?;
    let approver = decisions::approver(&state, &who, &plan).await?;
    idem.pass(&state).await?;
    let note = note.read().await?;
    decisions::approve(&state, &who, &origin, &plan, approver, &note.comment).await?;
    answer(&state, &id, StatusCode::CREATED).await
}

/// Rejects a plan (a role that may approve it).
#[utoipa::path(post, path = "/v1/plans/{id}/rejection", tag = "plans", operation_id = "rejectPlan",
    summary = "Reject a plan", security(("bearer" = [])),
    params(("id" = String, Path, description = "The plan's id", example = "plan_6f1c2a9e0b7d4c31")),
    request_body(content = Note, content_type = "application/json"),
    responses(
        (status = 200, description = "The plan is `rejected`", body = PlanView),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::Conflict, r::PayloadTooLarge,
        r::UnsupportedMediaType, r::Unprocessable, r::Unavailable,
    ))]
pub async fn reject_plan(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    Path(id): Path<String>,
    idem: Idempotency,
    note: JsonBody<Note>,
) -> Result<Response, ApiError> {
    who.require_read()?;
    let plan = crate::registry::visible_plan(&state, &who, &id).await?;
    let approver = decisions::approver(&state, &who, &plan).await?;
    idem.pass(&state).await?;
    let note = note.read().await?;
    decisions::reject(&state, &who, &origin, &plan, approver, &note.comment).await?;
    answer(&state, &id, StatusCode::OK).await
}

/// Cancels a plan (a deployer, or whoever requested it).
#[utoipa::path(post, path = "/v1/plans/{id}/cancellation", tag = "plans", operation_id = "cancelPlan",
    summary = "Cancel a plan", security(("bearer" = [])),
    params(("id" = String, Path, description = "The plan's id", example = "plan_6f1c2a9e0b7d4c31")),
    request_body(content = Note, content_type = "application/json"),
    responses(
        (status = 200, description = "The plan is `cancelled`", body = PlanView),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::Conflict, r::PayloadTooLarge,
        r::UnsupportedMediaType, r::Unprocessable, r::Unavailable,
    ))]
pub async fn cancel_plan(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    Path(id): Path<String>,
    idem: Idempotency,
    note: JsonBody<Note>,
) -> Result<Response, ApiError> {
    who.require_read()?;
    let plan = crate::registry::visible_plan(&state, &who, &id).await?;
    decisions::may_cancel(&who, &plan)?;
    idem.pass(&state).await?;
    let note = note.read().await?;
    decisions::cancel(&state, &who, &origin, &plan, &note.comment).await?;
    answer(&state, &id, StatusCode::OK).await
}
