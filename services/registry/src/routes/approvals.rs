//! Acting on a plan: `approvals` (by the roles the environment's policy names, never by the
//! plan's requester or the version's publisher, once per person), `rejection` and
//! `cancellation`. Each moves the plan only from the states that allow it: anything else is a
//! 409 that names the current state.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemareg_adapters::store::{Approval, PlanRecord, PlanState, VersionRef};
use schemareg_engine::plan::HazardKind;
use serde::Deserialize;
use utoipa::ToSchema;

use super::plans::{PlanView, plan_view};
use crate::audit::{self, Event, Origin};
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::problem::responses as r;
use crate::policy::{Policy, current};
use crate::registry::approval;
use crate::state::AppState;

/// A note with an approval, rejection or cancellation.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"comment": "reviewed the enum changes with the data team"}))]
pub struct Note {
    #[serde(default)]
    pub comment: String,
}

pub(super) fn wrong_state(plan: &PlanRecord, action: &str, allowed: &[PlanState]) -> ApiError {
    let allowed: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    ApiError::Conflict(format!(
        "plan {} is {}: it can be {action} only when {}",
        plan.id,
        plan.state.as_str(),
        allowed.join(" or ")
    ))
}

fn hazards(plan: &PlanRecord) -> Vec<HazardKind> {
    plan.body
        .as_deref()
        .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        .and_then(|b| serde_json::from_value(b["hazards"].clone()).ok())
        .unwrap_or_default()
}

/// The roles of `who` that the policy lets approve, or a 403 that says which would.
fn approver_roles(who: &Principal, policy: &Policy) -> Result<Vec<String>, ApiError> {
    if !who.roles.iter().any(|r| policy.approver_roles.contains(r)) {
        let allowed: Vec<&str> = policy.approver_roles.iter().map(|r| r.as_str()).collect();
        return Err(ApiError::Forbidden(format!(
            "the policy of this environment lets {} approve; {:?} has none of them",
            allowed.join(", "),
            who.subject
        )));
    }
    Ok(who.roles.iter().map(|r| r.as_str().to_string()).collect())
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
    note: JsonBody<Note>,
) -> Result<Response, ApiError> {
    who.require_read()?;
    let plan = state.store.existing_plan(&id).await?;
    who.require_scope(Some(&plan.service), Some(&plan.environment))?;
    let policy = current(&state.store, &plan.environment).await?.policy;
    let roles = approver_roles(&who, &policy)?;
    let note = note.read().await?;
    if plan.state != PlanState::PendingApproval {
        return Err(wrong_state(&plan, "approved", &[PlanState::PendingApproval]));
    }
    let publisher = state
        .store
        .version(&plan.service, &VersionRef::Number(plan.to_version))
        .await?
        .map(|v| v.pushed_by);
    if who.subject == plan.requested_by || Some(&who.subject) == publisher.as_ref() {
        return Err(ApiError::Forbidden(format!(
            "{:?} requested this plan or published its version: someone else must approve it",
            who.subject
        )));
    }
    let digest = plan
        .plan_digest
        .clone()
        .ok_or_else(|| ApiError::Internal(format!("plan {id} is pending approval without a digest")))?;
    state
        .store
        .add_approval(&Approval {
            plan_id: id.clone(),
            approver: who.subject.clone(),
            roles,
            plan_digest: digest.clone(),
            comment: note.comment.clone(),
            at: String::new(),
        })
        .await?;
    let event = Event::new("plan.approve")
        .on(&plan.service, Some(&plan.environment))
        .target(&id)
        .detail(serde_json::json!({"plan_digest": digest, "comment": note.comment}));
    audit::done(&state, &who, &origin, event).await;
    let needs = approval::needs(&policy, &hazards(&plan));
    let given = state.store.approvals(&id).await?;
    if approval::satisfied(&needs, &given, &digest)
        && state
            .store
            .transition_plan(&id, &[PlanState::PendingApproval], PlanState::Approved, None)
            .await?
    {
        let event = Event::new("plan.approved")
            .on(&plan.service, Some(&plan.environment))
            .target(&id)
            .detail(serde_json::json!({"approvals": given.len(), "admin_required": needs.admin}));
        audit::record(&state, "registry", &origin, "ok", event).await;
    }
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
    note: JsonBody<Note>,
) -> Result<Response, ApiError> {
    who.require_read()?;
    let plan = state.store.existing_plan(&id).await?;
    who.require_scope(Some(&plan.service), Some(&plan.environment))?;
    let policy = current(&state.store, &plan.environment).await?.policy;
    approver_roles(&who, &policy)?;
    let note = note.read().await?;
    let from = [PlanState::PendingApproval, PlanState::Approved];
    close(&state, &who, &origin, &plan, &from, PlanState::Rejected, &note).await
}

/// Ends a plan (rejected, cancelled) from one of `from`, noting who and why, and answers
/// with it; a 409 naming its state when it was in none of them.
async fn close(
    state: &AppState,
    who: &Principal,
    origin: &Origin,
    plan: &PlanRecord,
    from: &[PlanState],
    to: PlanState,
    note: &Note,
) -> Result<Response, ApiError> {
    let (verb, action) = match to {
        PlanState::Rejected => ("rejected", "plan.reject"),
        _ => ("cancelled", "plan.cancel"),
    };
    let reason = format!("{verb} by {}: {}", who.subject, note.comment);
    if !state.store.transition_plan(&plan.id, from, to, Some(&reason)).await? {
        let now = state.store.existing_plan(&plan.id).await?;
        return Err(wrong_state(&now, verb, from));
    }
    let event = Event::new(action)
        .on(&plan.service, Some(&plan.environment))
        .target(&plan.id)
        .detail(serde_json::json!({"comment": note.comment}));
    audit::done(state, who, origin, event).await;
    answer(state, &plan.id, StatusCode::OK).await
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
    note: JsonBody<Note>,
) -> Result<Response, ApiError> {
    who.require_read()?;
    let plan = state.store.existing_plan(&id).await?;
    who.require_scope(Some(&plan.service), Some(&plan.environment))?;
    if who.subject != plan.requested_by {
        who.require(Role::Deployer)?;
    }
    let note = note.read().await?;
    let from = [PlanState::Computing, PlanState::PendingApproval, PlanState::Approved];
    close(&state, &who, &origin, &plan, &from, PlanState::Cancelled, &note).await
}
