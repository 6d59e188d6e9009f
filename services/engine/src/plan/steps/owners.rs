//! Steps for owners: an object given to another role once it exists, or given back to the
//! role that applies the plan before it is dropped.

use super::*;
use crate::render;

fn object_key(o: &Owner) -> ObjectKey {
    let schema = o.schema.as_deref().unwrap_or_default();
    match o.kind {
        OwnedKind::Schema => ObjectKey::schema(&o.name),
        OwnedKind::Table | OwnedKind::View | OwnedKind::MaterializedView | OwnedKind::Sequence => {
            ObjectKey::rel(&QualifiedName::new(schema, &o.name))
        }
        OwnedKind::Routine => ObjectKey::func(schema, &o.name),
        OwnedKind::Type | OwnedKind::Domain => ObjectKey::type_of(schema, &o.name),
    }
}

pub(super) fn set_owner(from: Option<&Owner>, to: Option<&Owner>) -> Option<Step> {
    let o = to.or(from)?;
    fn name(x: Option<&Owner>) -> Option<&str> {
        x.map(|x| x.owner.as_str())
    }
    let who = |x: Option<&Owner>| name(x).map_or("the role that applies the plan".to_string(), |r| format!("role {r}"));
    let lock = match o.kind {
        // ALTER TABLE (and its view and sequence forms) takes an ACCESS EXCLUSIVE lock.
        OwnedKind::Table | OwnedKind::View | OwnedKind::MaterializedView | OwnedKind::Sequence => Lock::AccessExclusive,
        _ => Lock::None,
    };
    let b = Builder::new(
        Rank::GRANTS,
        format!("give {} to {}", o.object(), who(to)),
        vec![render::set_owner(o, name(to))],
    )
    .rollback(vec![render::set_owner(o, name(from))])
    .lock(lock);
    // Given to another role once the object exists; given back to the applier while it still
    // does (before a drop: the drop's rollback creates it again, this step's gives it back).
    let b = if to.is_some() {
        b.needs_new([object_key(o)])
    } else {
        b.needs_old([object_key(o)])
    };
    let mut step = b.done();
    step.for_role = name(to).map(str::to_string);
    step.rollback_for_role = name(from).map(str::to_string);
    Some(step)
}
