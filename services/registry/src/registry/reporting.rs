//! A pipeline's report of a plan it applied itself: `applied` (the registry then reads the
//! database: `verified` when it equals the version) or `failed`.

use schemareg_adapters::store::{PlanRecord, PlanState};
use serde_json::json;

use crate::audit::{self, AuditAction, Event, Origin};
use crate::auth::Principal;
use crate::error::{ApiError, Invalid};
use crate::state::AppState;

/// Records `outcome` (`applied` or `failed`, else a 422) for an approved plan, reported by
/// `who` (whose role and scope the caller has checked), and verifies the database after an
/// `applied`.
pub async fn report(
    state: &AppState,
    who: &Principal,
    origin: &Origin,
    plan: &PlanRecord,
    outcome: &str,
    message: &str,
) -> Result<(), ApiError> {
    let to = match outcome {
        "applied" => PlanState::Applied,
        "failed" => PlanState::Failed,
        other => {
            return Err(ApiError::invalid(
                Invalid::Report,
                "outcome",
                format!("outcome {} is neither applied nor failed", crate::text::echo(other)),
            ));
        }
    };
    let reason = (to == PlanState::Failed).then(|| format!("reported failed by {}: {message}", who.subject));
    let event = Event::new(AuditAction::PlanReport)
        .on(&plan.service, Some(&plan.environment))
        .target(&plan.id)
        .detail(json!({"outcome": outcome, "message": message}));
    if !state
        .store
        .transition_plan(
            &plan.id,
            &[PlanState::Approved],
            to,
            reason.as_deref(),
            &who.subject,
            &[audit::by(who, origin, event)],
        )
        .await?
    {
        return Err(super::decisions::wrong_state(plan, "reported", &[PlanState::Approved]));
    }
    if to == PlanState::Applied {
        state
            .store
            .record_applied(&plan.service, &plan.environment, plan.to_version)
            .await?;
        let service = state.store.existing_service(&plan.service).await?;
        let binding = state.store.existing_binding(&plan.service, &plan.environment).await?;
        let check = super::applying::check(state, plan, &service, &binding).await?;
        let (next, verification) = super::applying::verified_state(plan.to_version, &check);
        state.store.record_verification(&plan.id, &verification).await?;
        if next == PlanState::Verified {
            let from = [PlanState::Applied];
            state
                .store
                .transition_plan(&plan.id, &from, PlanState::Verified, None, "registry", &[])
                .await?;
        }
    }
    Ok(())
}
