//! Objects that depend on what the changes drop, even to create it again, go before it and
//! come back after: PostgreSQL refuses to drop a table or view that a view reads, a function
//! or type that a view, default, check, index, trigger or policy uses, or the key a foreign
//! key uses. Dependencies are read from the definitions, which PostgreSQL prints with every
//! name outside `pg_catalog` schema-qualified; the plan orders the steps (drops before what
//! they use goes, creations after it is back).

use std::collections::BTreeSet;

use super::view::{create_materialized, create_view};
use super::*;
use crate::render::refs::qualified_names;

/// Adds the changes that take the dependents of dropped objects down and up again.
pub(super) fn recreate(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let mut gone = dropped_names(out);
    gone.extend(views(out, from, to, &gone));
    table_dependents(out, from, to, &gone);
    foreign_keys(out, from, to);
}

/// The relations, types and functions the changes drop (or drop to create again).
fn dropped_names(out: &[Change]) -> BTreeSet<QualifiedName> {
    let q = QualifiedName::new;
    out.iter()
        .filter_map(|c| match c {
            Change::DropTable(t) => Some(t.qualified()),
            Change::DropView(v) => Some(q(&v.schema, &v.name)),
            Change::DropMaterializedView(v) => Some(q(&v.schema, &v.name)),
            Change::DropFunction(f) => Some(q(&f.schema, &f.name)),
            Change::DropEnum(e) => Some(q(&e.schema, &e.name)),
            Change::ReplaceEnum { from, .. } => Some(q(&from.schema, &from.name)),
            Change::DropDomain(d) => Some(q(&d.schema, &d.name)),
            Change::DropCompositeType(c) => Some(q(&c.schema, &c.name)),
            _ => None,
        })
        .collect()
}

fn uses(text: &str, gone: &BTreeSet<QualifiedName>) -> bool {
    !gone.is_empty() && qualified_names(text).iter().any(|r| gone.contains(r))
}

/// Views and materialized views that read something dropped, or a table whose columns change
/// type or are dropped, are dropped before and created after (and so, in turn, the views that
/// read them). Returns the views recreated.
fn views(
    out: &mut Vec<Change>,
    from: &Snapshot,
    to: &Snapshot,
    gone: &BTreeSet<QualifiedName>,
) -> BTreeSet<QualifiedName> {
    let mut touched = gone.clone();
    for c in out.iter() {
        match c {
            Change::AlterColumn { table, from, to }
                if from.data_type != to.data_type || from.collation != to.collation =>
            {
                touched.insert(table.clone());
            }
            Change::DropColumn { table, .. } => {
                touched.insert(table.clone());
            }
            _ => {}
        }
    }
    let mut dropped: BTreeSet<QualifiedName> = out
        .iter()
        .filter_map(|c| match c {
            Change::DropView(v) => Some(QualifiedName::new(&v.schema, &v.name)),
            Change::DropMaterializedView(v) => Some(QualifiedName::new(&v.schema, &v.name)),
            _ => None,
        })
        .collect();
    let mut recreated = BTreeSet::new();
    // Until nothing more is added: a recreated view touches the views that read it.
    loop {
        let mut more = false;
        for v in &from.views {
            let name = QualifiedName::new(&v.schema, &v.name);
            if dropped.contains(&name) || !uses(&v.definition, &touched) {
                continue;
            }
            out.push(Change::DropView(v.clone()));
            if let Some(n) = to.views.iter().find(|x| x.schema == v.schema && x.name == v.name) {
                create_view(out, n);
            }
            dropped.insert(name.clone());
            touched.insert(name.clone());
            recreated.insert(name);
            more = true;
        }
        for v in &from.materialized_views {
            let name = QualifiedName::new(&v.schema, &v.name);
            if dropped.contains(&name) || !uses(&v.definition, &touched) {
                continue;
            }
            out.push(Change::DropMaterializedView(v.clone()));
            if let Some(n) = to
                .materialized_views
                .iter()
                .find(|x| x.schema == v.schema && x.name == v.name)
            {
                create_materialized(out, n);
            }
            dropped.insert(name.clone());
            touched.insert(name.clone());
            recreated.insert(name);
            more = true;
        }
        if !more {
            break;
        }
    }
    recreated
}

/// What the changes already drop of a table's constraints, indexes, triggers and policies.
#[derive(Default)]
struct Dropped {
    constraints: BTreeSet<(QualifiedName, String)>,
    indexes: BTreeSet<(QualifiedName, String)>,
    triggers: BTreeSet<(QualifiedName, String)>,
    policies: BTreeSet<(QualifiedName, String)>,
    tables: BTreeSet<QualifiedName>,
}

impl Dropped {
    fn of(out: &[Change]) -> Self {
        let mut d = Dropped::default();
        for c in out {
            match c {
                Change::DropConstraint { table, constraint } => {
                    d.constraints.insert((table.clone(), constraint.name().to_string()));
                }
                Change::DropIndex { table, index } => {
                    d.indexes.insert((table.clone(), index.name.clone()));
                }
                Change::DropTrigger { table, trigger } => {
                    d.triggers.insert((table.clone(), trigger.name.clone()));
                }
                Change::DropPolicy { table, policy } => {
                    d.policies.insert((table.clone(), policy.name.clone()));
                }
                Change::DropTable(t) => {
                    d.tables.insert(t.qualified());
                }
                _ => {}
            }
        }
        d
    }
}

/// The defaults, checks, indexes, triggers and policies of tables that stay, when they use
/// something dropped: a default is dropped before and set again after (two changes of the
/// column); the others are dropped and created again.
fn table_dependents(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot, gone: &BTreeSet<QualifiedName>) {
    if gone.is_empty() {
        return;
    }
    let dropped = Dropped::of(out);
    for a in &from.tables {
        let name = a.qualified();
        let Some(b) = to.tables.iter().find(|t| t.qualified() == name) else {
            continue;
        };
        if dropped.tables.contains(&name) {
            continue;
        }
        for x in &a.columns {
            let Some(y) = b.column(&x.name) else { continue };
            if x.default.as_deref().is_some_and(|d| uses(d, gone)) {
                reset_default(out, &name, x, y, gone);
            }
        }
        for (x, y) in pairs(&a.check_constraints, &b.check_constraints, |c| &c.name) {
            if uses(&x.expression, gone) && !dropped.constraints.contains(&(name.clone(), x.name.clone())) {
                out.push(Change::DropConstraint {
                    table: name.clone(),
                    constraint: Constraint::Check(x.clone()),
                });
                out.push(Change::AddConstraint {
                    table: name.clone(),
                    constraint: Constraint::Check(y.clone()),
                    new_table: false,
                });
            }
        }
        for (x, y) in pairs(&a.indexes, &b.indexes, |i| &i.name) {
            let text = crate::render::create_index(&name, x, false);
            if uses(&text, gone) && !dropped.indexes.contains(&(name.clone(), x.name.clone())) {
                out.push(Change::DropIndex {
                    table: name.clone(),
                    index: x.clone(),
                });
                out.push(Change::CreateIndex {
                    table: name.clone(),
                    index: y.clone(),
                    new_table: false,
                });
            }
        }
        for (x, y) in pairs(&a.triggers, &b.triggers, |t| &t.name) {
            if uses(&x.definition, gone) && !dropped.triggers.contains(&(name.clone(), x.name.clone())) {
                out.push(Change::DropTrigger {
                    table: name.clone(),
                    trigger: x.clone(),
                });
                out.push(Change::CreateTrigger {
                    table: name.clone(),
                    trigger: y.clone(),
                });
            }
        }
        for (x, y) in pairs(&a.policies, &b.policies, |p| &p.name) {
            let used = [&x.using, &x.with_check].into_iter().flatten().any(|e| uses(e, gone));
            if used && !dropped.policies.contains(&(name.clone(), x.name.clone())) {
                out.push(Change::DropPolicy {
                    table: name.clone(),
                    policy: x.clone(),
                });
                out.push(Change::CreatePolicy {
                    table: name.clone(),
                    policy: y.clone(),
                });
            }
        }
    }
}

/// The objects of one kind that both sides have, by name.
fn pairs<'a, T>(a: &'a [T], b: &'a [T], name: impl Fn(&T) -> &String) -> Vec<(&'a T, &'a T)> {
    a.iter()
        .filter_map(|x| b.iter().find(|y| name(y) == name(x)).map(|y| (x, y)))
        .collect()
}

/// A default that uses something dropped: dropped first, set after. When TO's default uses
/// nothing dropped, the one change there already is does it in one step.
fn reset_default(out: &mut Vec<Change>, table: &QualifiedName, x: &Column, y: &Column, gone: &BTreeSet<QualifiedName>) {
    // A column of a type that goes changes type, and its default with it (an enum swap sets
    // the defaults of the type's columns itself).
    if !y.default.as_deref().is_some_and(|d| uses(d, gone)) || uses(&x.data_type, gone) {
        return;
    }
    let bare = Column {
        default: None,
        ..x.clone()
    };
    let at = out
        .iter()
        .position(|c| matches!(c, Change::AlterColumn { table: t, from, .. } if t == table && from.name == x.name));
    let first = Change::AlterColumn {
        table: table.clone(),
        from: x.clone(),
        to: bare.clone(),
    };
    let second = Change::AlterColumn {
        table: table.clone(),
        from: bare,
        to: y.clone(),
    };
    match at {
        Some(i) => {
            out[i] = first;
            out.insert(i + 1, second);
        }
        None => {
            out.push(first);
            out.push(second);
        }
    }
}

/// Foreign keys that stay while the key they use is dropped (a unique constraint becoming a
/// primary key, a table created again) are dropped before it and added after.
fn foreign_keys(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let mut keys: BTreeSet<(QualifiedName, Vec<String>)> = BTreeSet::new();
    let mut tables: BTreeSet<QualifiedName> = BTreeSet::new();
    for c in out.iter() {
        match c {
            Change::DropConstraint {
                table,
                constraint:
                    Constraint::PrimaryKey(PrimaryKey { columns, .. })
                    | Constraint::Unique(UniqueConstraint { columns, .. }),
            } => {
                keys.insert((table.clone(), columns.clone()));
            }
            Change::DropIndex { table, index } if index.unique => {
                keys.insert((table.clone(), index.keys.iter().map(|k| k.expression.clone()).collect()));
            }
            Change::DropTable(t) => {
                tables.insert(t.qualified());
            }
            _ => {}
        }
    }
    if keys.is_empty() && tables.is_empty() {
        return;
    }
    let dropped = Dropped::of(out);
    for a in &from.tables {
        let name = a.qualified();
        let Some(b) = to.tables.iter().find(|t| t.qualified() == name) else {
            continue;
        };
        if dropped.tables.contains(&name) {
            continue;
        }
        for (x, y) in pairs(&a.foreign_keys, &b.foreign_keys, |f| &f.name) {
            let used =
                tables.contains(&x.references) || keys.contains(&(x.references.clone(), x.referenced_columns.clone()));
            if used && !dropped.constraints.contains(&(name.clone(), x.name.clone())) {
                out.push(Change::DropConstraint {
                    table: name.clone(),
                    constraint: Constraint::ForeignKey(x.clone()),
                });
                out.push(Change::AddConstraint {
                    table: name.clone(),
                    constraint: Constraint::ForeignKey(y.clone()),
                    new_table: false,
                });
            }
        }
    }
}
