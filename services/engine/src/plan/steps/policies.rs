//! Steps for row-level security policies.

use super::*;
use crate::render;

pub(super) fn create_policy(ctx: &Context, table: &QualifiedName, policy: &Policy) -> Step {
    let mut needs: BTreeSet<ObjectKey> = [ObjectKey::rel(table)].into();
    for e in [&policy.using, &policy.with_check].into_iter().flatten() {
        needs.extend(ctx.refs(e, true));
    }
    Builder::new(
        Rank::TABLE_SETTINGS,
        format!("create policy {} on {table}", policy.name),
        vec![render::create_policy(table, policy)],
    )
    .rollback(vec![render::drop_policy(table, policy)])
    .needs_new(needs)
    .done()
}

pub(super) fn drop_policy(ctx: &Context, table: &QualifiedName, policy: &Policy) -> Step {
    Builder::new(
        Rank::DROP_POLICY_OR_TRIGGER,
        format!("drop policy {} on {table}", policy.name),
        vec![render::drop_policy(table, policy)],
    )
    .rollback(vec![render::create_policy(table, policy)])
    .needs_old(ctx.recorded(&Dependent::Policy {
        table: table.clone(),
        name: policy.name.clone(),
    }))
    .hazards(escalation::policy_drop_hazards(
        table,
        policy,
        ctx.to
            .tables
            .iter()
            .any(|t| &t.qualified() == table && t.row_security.enabled),
    ))
    .done()
}
