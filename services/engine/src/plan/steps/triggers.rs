//! Steps for triggers.

use super::*;
use crate::render;

pub(super) fn create_trigger(ctx: &Context, table: &QualifiedName, trigger: &Trigger) -> Step {
    let mut needs = ctx.refs(&trigger.definition, true);
    needs.insert(ObjectKey::rel(table));
    Builder::new(
        Rank::CREATE_TRIGGER,
        format!("create trigger {} on {table}", trigger.name),
        vec![render::create_trigger(trigger)],
    )
    .rollback(vec![render::drop_trigger(table, trigger)])
    .needs_new(needs)
    .lock(Lock::ShareRowExclusive)
    .done()
}

pub(super) fn drop_trigger(ctx: &Context, table: &QualifiedName, trigger: &Trigger) -> Step {
    Builder::new(
        Rank::DROP_POLICY_OR_TRIGGER,
        format!("drop trigger {} on {table}", trigger.name),
        vec![render::drop_trigger(table, trigger)],
    )
    .needs_old(ctx.refs(&trigger.definition, false))
    .needs_old(ctx.recorded(&Dependent::Trigger {
        table: table.clone(),
        name: trigger.name.clone(),
    }))
    .rollback(vec![render::create_trigger(trigger)])
    .lock(Lock::ShareRowExclusive)
    .done()
}

pub(super) fn set_trigger_enabled(table: &QualifiedName, name: &str, from: TriggerEnabled, to: TriggerEnabled) -> Step {
    Builder::new(
        Rank::CREATE_TRIGGER,
        format!("set trigger {name} on {table} to {to:?}"),
        vec![render::set_trigger_enabled(table, name, to)],
    )
    .rollback(vec![render::set_trigger_enabled(table, name, from)])
    .lock(Lock::ShareRowExclusive)
    .done()
}
