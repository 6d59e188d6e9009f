//! People's decisions on a plan: approvals (by the roles the environment's policy names, never
//! by the plan's requester or the version's publisher, once per person, bound to the plan's
//! digest), rejection and cancellation. Each moves the plan only from the states that allow
//! it: anything else is a 409 that names the current state.

use schemareg_adapters::store::{Approval, PlanRecord, PlanState, VersionRef};
use schemareg_engine::plan::HazardKind;
use serde_json::json;

use super::approval;
use crate::audit::{self, AuditAction, Event, Origin};
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::policy::{Policy, current};
use crate::state::AppState;

/// A 409 saying the plan's state and the states in which it can be `action`.
pub fn wrong_state(plan: &PlanRecord, action: &str, allowed: &[PlanState]) -> ApiError {
    let allowed: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    ApiError::Conflict(format!(
        "plan {} is {}: it can be {action} only when {}",
        plan.id,
        plan.state.as_str(),
        allowed.join(" or ")
    ))
}

fn hazards(plan: &PlanRecord) -> Vec<HazardKind> {
    plan.body.as_ref().map(|b| b.hazards.clone()).unwrap_or_default()
}

/// Someone the environment's policy lets decide on a plan: the policy, and the roles of theirs
/// that count.
pub struct Approver {
    policy: Policy,
    roles: Vec<String>,
}

/// Whether `who` may approve or reject `plan` under its environment's policy (a 403 that says
/// which roles may, else).
pub async fn approver(state: &AppState, who: &Principal, plan: &PlanRecord) -> Result<Approver, ApiError> {
    let policy = current(&state.store, &plan.environment).await?.policy;
    if !who.roles.iter().any(|r| policy.approver_roles.contains(r)) {
        let allowed: Vec<&str> = policy.approver_roles.iter().map(|r| r.as_str()).collect();
        return Err(ApiError::Forbidden(format!(
            "the policy of this environment lets {} approve; {:?} has none of them",
            allowed.join(", "),
            who.subject
        )));
    }
    Ok(Approver {
        roles: who.roles.iter().map(|r| r.as_str().to_string()).collect(),
        policy,
    })
}

/// Approves `plan` as `who`; when the approvals meet the policy the plan becomes `approved`.
pub async fn approve(
    state: &AppState,
    who: &Principal,
    origin: &Origin,
    plan: &PlanRecord,
    approver: Approver,
    comment: &str,
) -> Result<(), ApiError> {
    let id = &plan.id;
    if plan.state != PlanState::PendingApproval {
        return Err(wrong_state(plan, "approved", &[PlanState::PendingApproval]));
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
    let event = Event::new(AuditAction::PlanApprove)
        .on(&plan.service, Some(&plan.environment))
        .target(id)
        .detail(json!({"plan_digest": digest, "comment": comment}));
    state
        .store
        .add_approval(
            &Approval {
                plan_id: id.clone(),
                approver: who.subject.clone(),
                roles: approver.roles,
                plan_digest: digest.clone(),
                comment: comment.to_string(),
                at: String::new(),
            },
            &[audit::by(who, origin, event)],
        )
        .await?;
    let needs = approval::needs(&approver.policy, &hazards(plan));
    let given = state.store.approvals(id).await?;
    if approval::satisfied(&needs, &given, &digest) {
        let event = Event::new(AuditAction::PlanApproved)
            .on(&plan.service, Some(&plan.environment))
            .target(id)
            .detail(json!({"approvals": given.len(), "admin_required": needs.admin}));
        state
            .store
            .transition_plan(
                id,
                &[PlanState::PendingApproval],
                PlanState::Approved,
                None,
                &who.subject,
                &[audit::by_registry(origin, "ok", event)],
            )
            .await?;
    }
    Ok(())
}

/// Rejects `plan` (pending approval or approved) as an approver.
pub async fn reject(
    state: &AppState,
    who: &Principal,
    origin: &Origin,
    plan: &PlanRecord,
    _approver: Approver,
    comment: &str,
) -> Result<(), ApiError> {
    if comment.trim().is_empty() {
        return Err(ApiError::invalid(
            crate::error::Invalid::Body,
            "comment",
            "a rejection needs a reason: say in the comment what must change",
        ));
    }
    let from = [PlanState::PendingApproval, PlanState::Approved];
    close(state, who, origin, plan, &from, PlanState::Rejected, comment).await
}

/// Whether `who` may cancel `plan`: whoever requested it, or a deployer.
pub fn may_cancel(who: &Principal, plan: &PlanRecord) -> Result<(), ApiError> {
    if who.subject == plan.requested_by {
        Ok(())
    } else {
        who.require(Role::Deployer)
    }
}

/// Cancels `plan` (computing, pending approval or approved).
pub async fn cancel(
    state: &AppState,
    who: &Principal,
    origin: &Origin,
    plan: &PlanRecord,
    comment: &str,
) -> Result<(), ApiError> {
    let from = [PlanState::Computing, PlanState::PendingApproval, PlanState::Approved];
    close(state, who, origin, plan, &from, PlanState::Cancelled, comment).await
}

/// Ends a plan (rejected, cancelled) from one of `from`, noting who and why; a 409 naming its
/// state when it was in none of them.
async fn close(
    state: &AppState,
    who: &Principal,
    origin: &Origin,
    plan: &PlanRecord,
    from: &[PlanState],
    to: PlanState,
    comment: &str,
) -> Result<(), ApiError> {
    let (verb, action) = match to {
        PlanState::Rejected => ("rejected", AuditAction::PlanReject),
        _ => ("cancelled", AuditAction::PlanCancel),
    };
    let reason = format!("{verb} by {}: {comment}", who.subject);
    let event = Event::new(action)
        .on(&plan.service, Some(&plan.environment))
        .target(&plan.id)
        .detail(json!({"comment": comment}));
    if !state
        .store
        .transition_plan(
            &plan.id,
            from,
            to,
            Some(&reason),
            &who.subject,
            &[audit::by(who, origin, event)],
        )
        .await?
    {
        let now = state.store.existing_plan(&plan.id).await?;
        return Err(wrong_state(&now, verb, from));
    }
    Ok(())
}
