//! What each change of state is called, decided here once: the audit log's action and the
//! webhook events it causes. The store writes a change's events in the change's own
//! transaction (`outbox`); the registry records the action named here.

use super::{DriftState, EventKind, PlanState};

/// An action in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AuditAction {
    ServiceCreate,
    VersionPush,
    EnvironmentCreate,
    BindingPut,
    PolicyPut,
    PlanCreate,
    PlanOverride,
    PlanComputed,
    PlanApprove,
    /// A plan approved by its environment's policy (no approval needed).
    PlanApproved,
    PlanReject,
    PlanCancel,
    PlanApply,
    PlanApplyStart,
    PlanStep,
    PlanReport,
    PlanStale,
    DriftDetected,
    DriftResolved,
    DriftUnknown,
    DriftReadable,
    WebhookCreate,
    WebhookUpdate,
    WebhookDelete,
    WebhookRedeliver,
    /// A request refused for want of a valid token or of a role.
    Denied,
    /// An idempotent request answered again from what was kept.
    Replay,
}

impl AuditAction {
    pub const ALL: [AuditAction; 27] = [
        AuditAction::ServiceCreate,
        AuditAction::VersionPush,
        AuditAction::EnvironmentCreate,
        AuditAction::BindingPut,
        AuditAction::PolicyPut,
        AuditAction::PlanCreate,
        AuditAction::PlanOverride,
        AuditAction::PlanComputed,
        AuditAction::PlanApprove,
        AuditAction::PlanApproved,
        AuditAction::PlanReject,
        AuditAction::PlanCancel,
        AuditAction::PlanApply,
        AuditAction::PlanApplyStart,
        AuditAction::PlanStep,
        AuditAction::PlanReport,
        AuditAction::PlanStale,
        AuditAction::DriftDetected,
        AuditAction::DriftResolved,
        AuditAction::DriftUnknown,
        AuditAction::DriftReadable,
        AuditAction::WebhookCreate,
        AuditAction::WebhookUpdate,
        AuditAction::WebhookDelete,
        AuditAction::WebhookRedeliver,
        AuditAction::Denied,
        AuditAction::Replay,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::ServiceCreate => "service.create",
            AuditAction::VersionPush => "version.push",
            AuditAction::EnvironmentCreate => "environment.create",
            AuditAction::BindingPut => "binding.put",
            AuditAction::PolicyPut => "policy.put",
            AuditAction::PlanCreate => "plan.create",
            AuditAction::PlanOverride => "plan.override",
            AuditAction::PlanComputed => "plan.computed",
            AuditAction::PlanApprove => "plan.approve",
            AuditAction::PlanApproved => "plan.approved",
            AuditAction::PlanReject => "plan.reject",
            AuditAction::PlanCancel => "plan.cancel",
            AuditAction::PlanApply => "plan.apply",
            AuditAction::PlanApplyStart => "plan.apply.start",
            AuditAction::PlanStep => "plan.step",
            AuditAction::PlanReport => "plan.report",
            AuditAction::PlanStale => "plan.stale",
            AuditAction::DriftDetected => "drift.detected",
            AuditAction::DriftResolved => "drift.resolved",
            AuditAction::DriftUnknown => "drift.unknown",
            AuditAction::DriftReadable => "drift.readable",
            AuditAction::WebhookCreate => "webhook.create",
            AuditAction::WebhookUpdate => "webhook.update",
            AuditAction::WebhookDelete => "webhook.delete",
            AuditAction::WebhookRedeliver => "webhook.redeliver",
            AuditAction::Denied => "denied",
            AuditAction::Replay => "replay",
        }
    }
}

/// The events a plan's move from one of `from` to `to` causes: an apply that ends verified was
/// applied too; a plan put back to `approved` after a busy database was not approved again.
pub fn plan_events(from: &[PlanState], to: PlanState) -> Vec<EventKind> {
    match to {
        PlanState::PendingApproval => vec![EventKind::PlanPendingApproval],
        PlanState::Approved if !from.contains(&PlanState::Applying) => vec![EventKind::PlanApproved],
        PlanState::Applied => vec![EventKind::PlanApplied],
        PlanState::Verified if from.contains(&PlanState::Applying) => {
            vec![EventKind::PlanApplied, EventKind::PlanVerified]
        }
        PlanState::Verified => vec![EventKind::PlanVerified],
        PlanState::Rejected => vec![EventKind::PlanRejected],
        PlanState::Failed => vec![EventKind::PlanFailed],
        PlanState::Stale => vec![EventKind::PlanStale],
        _ => Vec::new(),
    }
}

/// A drift check's change of state, given the binding's last observation (`last`, which may
/// be `unknown`) and the last state a check could read (`known`): its audit action and its
/// event, which always go together.
///
/// - drift the last readable check did not see: `drift.detected`;
/// - back in sync after drift: `drift.resolved`;
/// - the database can no longer be read: `drift.unknown`;
/// - it can be read again and is as it was last read: `drift.readable`;
/// - no change, or a first check that finds it in sync: nothing.
pub fn drift_transition(
    last: Option<DriftState>,
    known: Option<DriftState>,
    now: DriftState,
) -> Option<(AuditAction, EventKind)> {
    use DriftState::*;
    let readable = || (AuditAction::DriftReadable, EventKind::DriftReadable);
    match (last, known, now) {
        (last, _, now) if last == Some(now) => None,
        (_, _, Unknown) => Some((AuditAction::DriftUnknown, EventKind::DriftUnknown)),
        (_, Some(Drifted), Drifted) => Some(readable()),
        (_, _, Drifted) => Some((AuditAction::DriftDetected, EventKind::DriftDetected)),
        (_, Some(Drifted), InSync) => Some((AuditAction::DriftResolved, EventKind::DriftResolved)),
        (Some(Unknown), _, InSync) => Some(readable()),
        (_, _, InSync) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DriftState::*;

    fn action(last: Option<DriftState>, known: Option<DriftState>, now: DriftState) -> Option<&'static str> {
        drift_transition(last, known, now).map(|(a, e)| {
            assert_eq!(
                a.as_str(),
                e.as_str(),
                "a drift change's action and event have one name"
            );
            a.as_str()
        })
    }

    #[test]
    fn each_drift_change_has_one_name_for_the_audit_log_and_the_webhooks() {
        // A walk through states, each check given what the store held before it.
        let walk = |states: &[DriftState]| {
            let (mut last, mut known) = (None, None);
            let mut out = Vec::new();
            for &now in states {
                if let Some(a) = action(last, known, now) {
                    out.push(a);
                }
                last = Some(now);
                if now != Unknown {
                    known = Some(now);
                }
            }
            out
        };
        assert_eq!(walk(&[InSync, InSync]), Vec::<&str>::new());
        assert_eq!(
            walk(&[InSync, Drifted, Drifted, InSync]),
            ["drift.detected", "drift.resolved"]
        );
        // Never drifted: nothing is resolved when the database can be read again.
        assert_eq!(walk(&[InSync, Unknown, InSync]), ["drift.unknown", "drift.readable"]);
        assert_eq!(
            walk(&[Drifted, Unknown, Drifted]),
            ["drift.detected", "drift.unknown", "drift.readable"]
        );
        assert_eq!(
            walk(&[Drifted, Unknown, InSync]),
            ["drift.detected", "drift.unknown", "drift.resolved"]
        );
        assert_eq!(walk(&[InSync, Unknown, Drifted]), ["drift.unknown", "drift.detected"]);
        assert_eq!(walk(&[Unknown, Unknown, InSync]), ["drift.unknown", "drift.readable"]);
    }

    #[test]
    fn a_plans_moves_say_what_happened() {
        use PlanState::*;
        assert_eq!(
            plan_events(&[Applying], Verified),
            [EventKind::PlanApplied, EventKind::PlanVerified]
        );
        assert_eq!(plan_events(&[Applied], Verified), [EventKind::PlanVerified]);
        assert!(
            plan_events(&[Applying], Approved).is_empty(),
            "a busy database is no approval"
        );
        assert_eq!(plan_events(&[PendingApproval], Approved), [EventKind::PlanApproved]);
        assert!(plan_events(&[Approved], Applying).is_empty());
        assert!(plan_events(&[Computing], Cancelled).is_empty());
    }

    #[test]
    fn every_action_and_event_has_its_own_name() {
        let actions: std::collections::BTreeSet<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(actions.len(), AuditAction::ALL.len());
        let events: std::collections::BTreeSet<_> = EventKind::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(events.len(), EventKind::ALL.len());
    }
}
