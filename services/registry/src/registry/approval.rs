//! What an environment's policy asks of a plan: whether its hazards are allowed, how many
//! approvals it needs and whether one must be an admin's, and whether its approvals suffice.

use schemareg_adapters::store::{Approval, PlanState};
use schemareg_engine::plan::HazardKind;

use crate::auth::Role;
use crate::policy::Policy;

/// What a plan with these hazards needs under a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needs {
    /// Approvals by distinct people, all told.
    pub approvals: u32,
    /// Whether one of them must be an admin's (hazards the policy names for it).
    pub admin: bool,
    /// The hazards that ask for the admin's approval.
    pub admin_hazards: Vec<HazardKind>,
}

pub fn needs(policy: &Policy, hazards: &[HazardKind]) -> Needs {
    let admin_hazards: Vec<HazardKind> = hazards
        .iter()
        .copied()
        .filter(|h| policy.admin_approval_hazards.contains(h))
        .collect();
    let admin = !admin_hazards.is_empty();
    Needs {
        approvals: policy.approvals_required + u32::from(admin),
        admin,
        admin_hazards,
    }
}

/// The state a freshly computed, verified plan takes: failed when the policy forbids one of
/// its hazards, approved when it needs no approval, else pending approval.
pub fn computed_state(policy: &Policy, hazards: &[HazardKind]) -> Result<PlanState, String> {
    let forbidden: Vec<&str> = hazards
        .iter()
        .filter(|h| policy.forbidden_hazards.contains(h))
        .map(|h| h.as_str())
        .collect();
    if !forbidden.is_empty() {
        return Err(format!(
            "the environment's policy forbids plans with {}",
            forbidden.join(", ")
        ));
    }
    Ok(if needs(policy, hazards).approvals == 0 {
        PlanState::Approved
    } else {
        PlanState::PendingApproval
    })
}

/// Whether the approvals given for a plan of this digest meet its needs.
pub fn satisfied(needs: &Needs, approvals: &[Approval], digest: &str) -> bool {
    let valid: Vec<&Approval> = approvals.iter().filter(|a| a.plan_digest == digest).collect();
    let by_admin = valid.iter().any(|a| a.roles.iter().any(|r| r == Role::Admin.as_str()));
    valid.len() as u32 >= needs.approvals && (!needs.admin || by_admin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approval(who: &str, roles: &[&str], digest: &str) -> Approval {
        Approval {
            plan_id: "p".into(),
            approver: who.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            plan_digest: digest.into(),
            comment: String::new(),
            at: String::new(),
        }
    }

    #[test]
    fn production_needs_two_approvers_and_an_admin_for_data_loss() {
        let policy = Policy::default_for("production");
        let n = needs(&policy, &[HazardKind::DataLoss, HazardKind::TableRewrite]);
        assert_eq!((n.approvals, n.admin), (3, true));
        let a = approval("a", &["approver"], "d1");
        let b = approval("b", &["approver"], "d1");
        let c = approval("c", &["approver"], "d1");
        let admin = approval("root", &["admin"], "d1");
        assert!(!satisfied(&n, &[a.clone(), b.clone()], "d1"));
        assert!(!satisfied(&n, &[a.clone(), b.clone(), c], "d1"), "no admin among them");
        assert!(satisfied(&n, &[a.clone(), b.clone(), admin.clone()], "d1"));
        let old = approval("b", &["approver"], "d0");
        assert!(
            !satisfied(&n, &[a, old, admin], "d1"),
            "an approval of other content does not count"
        );
        let n = needs(&policy, &[HazardKind::TableRewrite]);
        assert_eq!((n.approvals, n.admin), (2, false));
    }

    #[test]
    fn computed_plans_follow_the_policy() {
        let mut policy = Policy::default_for("dev");
        assert_eq!(
            computed_state(&policy, &[HazardKind::DataLoss]),
            Ok(PlanState::Approved)
        );
        policy.forbidden_hazards = vec![HazardKind::DataLoss];
        assert!(
            computed_state(&policy, &[HazardKind::DataLoss])
                .unwrap_err()
                .contains("data_loss")
        );
        let staging = Policy::default_for("staging");
        assert_eq!(computed_state(&staging, &[]), Ok(PlanState::PendingApproval));
    }
}
