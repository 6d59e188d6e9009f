//! Owners, object by object (compared only with the `owners` preset). An object the changes
//! create, or drop to create again, belongs to the role that applies the plan: TO's owner is
//! given to it again. An object another role owns is given back to the applier before it is
//! dropped, so that the rollback can give it back to that role once it has created it again.

use std::collections::BTreeSet;

use super::*;

fn key(kind: OwnedKind, schema: Option<&str>, name: &str, arguments: Option<&str>) -> OwnedKey {
    (
        kind,
        schema.map(str::to_string),
        name.to_string(),
        arguments.map(str::to_string),
    )
}

/// The object a change creates (or creates again), as an owner names it.
pub(crate) fn created(change: &Change) -> Option<OwnedKey> {
    use OwnedKind as K;
    Some(match change {
        Change::CreateSchema(x) => key(K::Schema, None, &x.name, None),
        Change::CreateTable(t) => key(K::Table, Some(&t.schema), &t.name, None),
        Change::CreateView(v) => key(K::View, Some(&v.schema), &v.name, None),
        Change::CreateMaterializedView(v) => key(K::MaterializedView, Some(&v.schema), &v.name, None),
        Change::CreateSequence(x) => key(K::Sequence, Some(&x.schema), &x.name, None),
        Change::CreateFunction(f) => key(K::Routine, Some(&f.schema), &f.name, Some(&f.arguments)),
        Change::CreateEnum(e) | Change::ReplaceEnum { to: e, .. } => key(K::Type, Some(&e.schema), &e.name, None),
        Change::CreateCompositeType(c) => key(K::Type, Some(&c.schema), &c.name, None),
        Change::CreateDomain(d) => key(K::Domain, Some(&d.schema), &d.name, None),
        _ => return None,
    })
}

pub(super) fn diff(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    if from.owners.is_empty() && to.owners.is_empty() {
        return;
    }
    let created: BTreeSet<OwnedKey> = out.iter().filter_map(created).collect();
    let m = match_by(&from.owners, &to.owners, Owner::key);
    // Given back to the applier: whether the object stays or goes (before it is dropped, so
    // that the rollback gives the object it creates again to its owner).
    for o in m.removed {
        out.push(Change::SetOwner {
            from: Some(o.clone()),
            to: None,
        });
    }
    for o in m.added {
        out.push(Change::SetOwner {
            from: None,
            to: Some(o.clone()),
        });
    }
    for (a, b) in m.both {
        if created.contains(&a.key()) {
            // Dropped and created again: given back before the drop, given again after.
            out.push(Change::SetOwner {
                from: Some(a.clone()),
                to: None,
            });
            out.push(Change::SetOwner {
                from: None,
                to: Some(b.clone()),
            });
        } else if a != b {
            out.push(Change::SetOwner {
                from: Some(a.clone()),
                to: Some(b.clone()),
            });
        }
    }
}
