//! A plan's page: what it changes where, its steps with their SQL, hazards, locks, transaction
//! groups and rollbacks, the approvals so far, and the buttons its reader may use. The actions
//! go through the same use cases as the API: a button not shown is refused anyway.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use schemareg_adapters::store::{Approval, PlanRecord, PlanState, VersionRef};
use serde::Deserialize;

use super::session::Session;
use super::{layout, steps};
use crate::audit::Origin;
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::registry::{applying, approval, decisions, planning};
use crate::state::AppState;

/// What the reader may do with the plan now.
struct May {
    approve: bool,
    reject: bool,
    apply: bool,
    /// A stale plan: a new one from the database as it is now.
    plan_again: bool,
}

async fn may(state: &AppState, who: &Principal, plan: &PlanRecord, given: &[Approval]) -> Result<May, ApiError> {
    let approver = decisions::approver(state, who, plan).await.is_ok();
    let publisher = state
        .store
        .version(&plan.service, &VersionRef::Number(plan.to_version))
        .await?
        .map(|v| v.pushed_by);
    let own = who.subject == plan.requested_by || Some(&who.subject) == publisher.as_ref();
    let approved_already = given.iter().any(|a| a.approver == who.subject);
    Ok(May {
        approve: approver && !own && !approved_already && plan.state == PlanState::PendingApproval,
        reject: approver && matches!(plan.state, PlanState::PendingApproval | PlanState::Approved),
        apply: who.require(Role::Deployer).is_ok() && plan.state == PlanState::Approved,
        plan_again: who.require(Role::Deployer).is_ok() && plan.state == PlanState::Stale,
    })
}

async fn render(state: &AppState, session: &Session, id: &str) -> Result<Markup, ApiError> {
    session.who.require_read()?;
    let plan = crate::registry::visible_plan(state, &session.who, id).await?;
    let policy = crate::policy::current(&state.store, &plan.environment).await?.policy;
    let hazards = plan.body.as_ref().map(|b| b.hazards.clone()).unwrap_or_default();
    let needs = approval::needs(&policy, &hazards);
    let approvals = state.store.approvals(&plan.id).await?;
    let may = may(state, &session.who, &plan, &approvals).await?;
    let roles: Vec<&str> = policy.approver_roles.iter().map(|r| r.as_str()).collect();
    let working = matches!(plan.state, PlanState::Computing | PlanState::Applying);
    let title = format!("Plan {} for {} in {}", plan.id, plan.service, plan.environment);
    let body = html! {
        h1 { (title) }
        @if working {
            p role="status" { "The registry is working on this plan; its state here follows by itself." }
        }
        dl {
            dt { "State" } dd { (layout::state(plan.state.as_str())) }
            dt { "Service and environment" } dd { (plan.service) " → " (plan.environment) }
            dt { "From (live database)" } dd { code { (plan.from_fingerprint.clone().unwrap_or_else(|| "not read yet".into())) } }
            dt { "To version" } dd { (plan.to_version) " " code { (plan.to_digest) } }
            dt { "Plan digest" } dd { code { (plan.plan_digest.clone().unwrap_or_else(|| "not computed yet".into())) } }
            dt { "Requested by" } dd { (plan.requested_by) " at " (plan.created_at) }
            dt { "Policy" } dd {
                (needs.approvals) " approval(s) by " (roles.join(", "))
                @if needs.admin { "; one by an admin, for " (needs.admin_hazards.iter().map(|h| h.as_str()).collect::<Vec<_>>().join(", ")) }
            }
            @if let Some(v) = &plan.verification { dt { "Verification" } dd { (v) } }
            @if let Some(e) = &plan.error { dt { "Error" } dd { (e) } }
        }
        @if plan.state == PlanState::Stale {
            section.problem role="alert" {
                h2 { "This plan is stale" }
                p { "The live database changed since it was computed: approvals of it no longer count. Plan again for " (plan.service) " in " (plan.environment) " from the database as it is now." }
                @if may.plan_again {
                    form method="post" action={ "/ui/plans/" (plan.id) "/plan-again" } {
                        input type="hidden" name="csrf" value=(session.csrf);
                        button type="submit" { "Plan again" }
                    }
                }
            }
        }
        h2 { "Approvals" }
        @if approvals.is_empty() { p { "None yet." } } @else {
            ul { @for a in &approvals { li { (a.approver) " (" (a.roles.join(", ") ) ") at " (a.at) @if !a.comment.is_empty() { ": " (a.comment) } } } }
        }
        @if may.approve || may.reject || may.apply {
            h2 { "Decide" }
            @if may.approve || may.reject {
                form method="post" action={ "/ui/plans/" (plan.id) "/approve" } {
                    input type="hidden" name="csrf" value=(session.csrf);
                    label for="comment" { "Comment (required to reject: the reason)" }
                    textarea id="comment" name="comment" rows="2" {}
                    p {
                        @if may.approve { button type="submit" name="action" value="approve" { "Approve" } " " }
                        @if may.reject { button type="submit" name="action" value="reject" formaction={ "/ui/plans/" (plan.id) "/reject" } { "Reject" } }
                    }
                }
            }
            @if may.apply {
                form method="post" action={ "/ui/plans/" (plan.id) "/apply" } {
                    input type="hidden" name="csrf" value=(session.csrf);
                    button type="submit" { "Apply" }
                }
            }
        }
        h2 { "Steps" }
        @match plan.body.as_ref() {
            None => p { "Not computed yet." },
            Some(body) => (steps::list(&body.plan.steps)),
        }
    };
    Ok(match working {
        true => layout::refreshing_page(&title, Some(session), body),
        false => layout::page(&title, Some(session), body),
    })
}

pub async fn page(State(state): State<AppState>, session: Session, Path(id): Path<String>) -> Response {
    let result = render(&state, &session, &id).await;
    layout::answer(&session, result)
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    comment: String,
}

async fn act_on(
    state: &AppState,
    session: &Session,
    origin: &Origin,
    id: &str,
    action: &str,
    form: &ActionForm,
) -> Result<String, ApiError> {
    session.check_csrf(&form.csrf)?;
    let who = &session.who;
    who.require_read()?;
    let plan = crate::registry::visible_plan(state, who, id).await?;
    match action {
        "approve" => {
            let approver = decisions::approver(state, who, &plan).await?;
            decisions::approve(state, who, origin, &plan, approver, &form.comment)
                .await
                .map(|()| plan.id)
        }
        "reject" => {
            let approver = decisions::approver(state, who, &plan).await?;
            decisions::reject(state, who, origin, &plan, approver, &form.comment)
                .await
                .map(|()| plan.id)
        }
        "apply" => {
            who.require(Role::Deployer)?;
            let id = plan.id.clone();
            applying::start(state, who, origin, plan, std::time::Duration::from_secs(1))
                .await
                .map(|_| id)
        }
        "plan-again" => {
            who.require(Role::Deployer)?;
            let asked = planning::Asked {
                service: plan.service.clone(),
                environment: plan.environment.clone(),
                version: plan.to_version.to_string(),
                concurrently: false,
                override_reason: None,
            };
            let wait = std::time::Duration::from_secs(1);
            planning::request(state, who, origin, asked, wait)
                .await
                .map(|(record, _)| record.id)
        }
        other => Err(ApiError::NotFound(format!(
            "no action {} on a plan",
            crate::text::echo(other)
        ))),
    }
}

/// Approves, rejects or applies a plan from its page, then shows the page again (or, for a
/// stale plan planned again, the new plan's page).
pub async fn act(
    State(state): State<AppState>,
    session: Session,
    origin: Origin,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    match act_on(&state, &session, &origin, &id, &action, &form).await {
        Ok(shown) => Redirect::to(&format!("/ui/plans/{shown}")).into_response(),
        // Found stale when applied: its page says so and offers a new plan.
        Err(_) if action == "apply" && is_stale(&state, &id).await => {
            Redirect::to(&format!("/ui/plans/{id}")).into_response()
        }
        Err(e) => layout::problem(Some(&session), &e),
    }
}

async fn is_stale(state: &AppState, id: &str) -> bool {
    state
        .store
        .existing_plan(id)
        .await
        .is_ok_and(|p| p.state == PlanState::Stale)
}
