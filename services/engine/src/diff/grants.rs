//! Grants, object by object and grantee by grantee. An object the changes drop takes its
//! grants with it; one they drop to create again (a view around a column change, a function
//! whose result type changes, an enum swapped, a table rebuilt, a generated column rebuilt)
//! comes back with none, so TO's grants on it are given in full.

use std::collections::BTreeSet;

use super::*;

/// FROM's grants that a change takes away with the object it drops (to create it again, or
/// not): a table's with its columns' and its own sequences', a column's, a view's, a
/// function's, a type's (an enum swapped included), a schema's.
pub(crate) fn taken_by<'a>(change: &Change, from: &'a Snapshot) -> Vec<&'a Grant> {
    let on = |kinds: &[GrantKind], schema: Option<&str>, name: &str| {
        let kinds = kinds.to_vec();
        let schema = schema.map(str::to_string);
        let name = name.to_string();
        move |g: &&Grant| kinds.contains(&g.kind) && g.schema == schema && g.name == name
    };
    let relation = [GrantKind::Table, GrantKind::Column];
    let pick = |f: &dyn Fn(&&Grant) -> bool| from.grants.iter().filter(|g| f(g)).collect::<Vec<_>>();
    match change {
        Change::DropTable(t) => {
            let mut sequences: Vec<String> = t
                .columns
                .iter()
                .filter(|c| c.identity.is_some())
                .map(|c| format!("{}_{}_seq", t.name, c.name))
                .collect();
            sequences.extend(
                from.sequences
                    .iter()
                    .filter(|s| {
                        s.owned_by
                            .as_ref()
                            .is_some_and(|o| o.schema == t.schema && o.table == t.name)
                    })
                    .map(|s| s.name.clone()),
            );
            let table = on(&relation, Some(&t.schema), &t.name);
            pick(&|g| {
                table(g)
                    || (g.kind == GrantKind::Sequence
                        && g.schema.as_deref() == Some(t.schema.as_str())
                        && sequences.contains(&g.name))
            })
        }
        Change::DropView(v) => pick(&on(&relation, Some(&v.schema), &v.name)),
        Change::DropMaterializedView(v) => pick(&on(&relation, Some(&v.schema), &v.name)),
        Change::DropSequence(x) => pick(&on(&[GrantKind::Sequence], Some(&x.schema), &x.name)),
        Change::DropColumn { table, column } => {
            let col = on(&[GrantKind::Column], Some(&table.schema), &table.name);
            pick(&|g| col(g) && g.column.as_deref() == Some(column.name.as_str()))
        }
        Change::AlterColumn { table, from: a, to: b } if b.generated.is_some() && a.generated != b.generated => {
            let col = on(&[GrantKind::Column], Some(&table.schema), &table.name);
            pick(&|g| col(g) && g.column.as_deref() == Some(a.name.as_str()))
        }
        Change::DropFunction(f) => {
            let func = on(&[GrantKind::Function, GrantKind::Procedure], Some(&f.schema), &f.name);
            pick(&|g| func(g) && g.arguments.as_deref() == Some(f.arguments.as_str()))
        }
        Change::DropEnum(e) | Change::ReplaceEnum { from: e, .. } => {
            pick(&on(&[GrantKind::Type], Some(&e.schema), &e.name))
        }
        Change::DropDomain(d) => pick(&on(&[GrantKind::Type], Some(&d.schema), &d.name)),
        Change::DropCompositeType(c) => pick(&on(&[GrantKind::Type], Some(&c.schema), &c.name)),
        Change::DropSchema(x) => pick(&on(&[GrantKind::Schema], None, &x.name)),
        _ => Vec::new(),
    }
}

pub(super) fn diff(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    if from.grants.is_empty() && to.grants.is_empty() {
        return;
    }
    let taken: BTreeSet<GrantKey> = out.iter().flat_map(|c| taken_by(c, from)).map(Grant::key).collect();
    let m = match_by(&from.grants, &to.grants, Grant::key);
    for g in m.removed {
        if !taken.contains(&g.key()) {
            out.push(Change::SetGrants {
                from: Some(g.clone()),
                to: None,
            });
        }
    }
    for g in m.added {
        out.push(Change::SetGrants {
            from: None,
            to: Some(g.clone()),
        });
    }
    for (a, b) in m.both {
        if taken.contains(&a.key()) {
            out.push(Change::SetGrants {
                from: None,
                to: Some(b.clone()),
            });
        } else if a != b {
            out.push(Change::SetGrants {
                from: Some(a.clone()),
                to: Some(b.clone()),
            });
        }
    }
}
