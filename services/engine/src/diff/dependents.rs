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
    swapped_enum_defaults(out);
    domain_columns(out, from, to);
    let mut gone = dropped_names(out);
    gone.extend(views(out, from, to, &gone));
    sql_functions(out, from, to, &gone);
    table_dependents(out, from, to, &gone);
    foreign_keys(out, from, to);
}

/// An enum swapped for one with other labels sets the defaults of its columns itself (it has
/// to: a default of the old type blocks the cast): what else changes of such a column stays.
fn swapped_enum_defaults(out: &mut Vec<Change>) {
    let swapped: BTreeSet<QualifiedName> = out
        .iter()
        .filter_map(|c| match c {
            Change::ReplaceEnum { to, .. } => Some(QualifiedName::new(&to.schema, &to.name)),
            _ => None,
        })
        .collect();
    if swapped.is_empty() {
        return;
    }
    out.retain_mut(|c| match c {
        Change::AlterColumn { from, to, .. } if from.data_type == to.data_type && uses(&to.data_type, &swapped) => {
            from.default = to.default.clone();
            let quiet = |c: &Column| Column {
                comment: None,
                ..c.clone()
            };
            quiet(from) != quiet(to)
        }
        _ => true,
    });
}

/// Columns of a domain or composite type dropped to be created again (a domain's base type or
/// collation changes, a composite type's attributes change where `ALTER TYPE` cannot) are given
/// the domain's base type (a composite's text) before and the type again after.
fn domain_columns(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let created: BTreeSet<QualifiedName> = out
        .iter()
        .filter_map(|c| match c {
            Change::CreateDomain(d) => Some(QualifiedName::new(&d.schema, &d.name)),
            Change::CreateCompositeType(d) => Some(QualifiedName::new(&d.schema, &d.name)),
            _ => None,
        })
        .collect();
    let recreated: Vec<(QualifiedName, String)> = out
        .iter()
        .filter_map(|c| match c {
            Change::DropDomain(d) => Some((QualifiedName::new(&d.schema, &d.name), d.base_type.clone())),
            Change::DropCompositeType(d) => Some((QualifiedName::new(&d.schema, &d.name), "text".to_string())),
            _ => None,
        })
        .filter(|(name, _)| created.contains(name))
        .collect();
    let dropped_tables = Dropped::of(out).tables;
    collation_columns(out, from, to, &dropped_tables);
    for (name, base_type) in &recreated {
        let domain = BTreeSet::from([name.clone()]);
        through(out, from, to, &dropped_tables, |x| {
            uses(&x.data_type, &domain).then(|| {
                let array = if x.data_type.ends_with("[]") { "[]" } else { "" };
                Column {
                    data_type: format!("{base_type}{array}"),
                    default: None,
                    ..x.clone()
                }
            })
        });
    }
}

/// Columns of a collation dropped to be created again (its locale changes) use the default
/// collation meanwhile.
fn collation_columns(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot, dropped_tables: &BTreeSet<QualifiedName>) {
    let created: BTreeSet<QualifiedName> = out
        .iter()
        .filter_map(|c| match c {
            Change::CreateCollation(x) => Some(QualifiedName::new(&x.schema, &x.name)),
            _ => None,
        })
        .collect();
    let recreated: BTreeSet<QualifiedName> = out
        .iter()
        .filter_map(|c| match c {
            Change::DropCollation(x) => Some(QualifiedName::new(&x.schema, &x.name)),
            _ => None,
        })
        .filter(|n| created.contains(n))
        .collect();
    if recreated.is_empty() {
        return;
    }
    through(out, from, to, dropped_tables, |x| {
        x.collation
            .as_deref()
            .is_some_and(|c| uses(c, &recreated))
            .then(|| Column {
                collation: None,
                ..x.clone()
            })
    });
}

/// Columns of tables that stay, for which `bare` gives a state to pass through (the type they
/// need while theirs is created again): they change to it first and to TO's column after, in
/// place of any change of theirs.
fn through(
    out: &mut Vec<Change>,
    from: &Snapshot,
    to: &Snapshot,
    dropped_tables: &BTreeSet<QualifiedName>,
    bare: impl Fn(&Column) -> Option<Column>,
) {
    for a in &from.tables {
        let table = a.qualified();
        let Some(b) = to.tables.iter().find(|t| t.qualified() == table) else {
            continue;
        };
        if dropped_tables.contains(&table) {
            continue;
        }
        for x in &a.columns {
            let (Some(y), Some(mid)) = (b.column(&x.name), bare(x)) else {
                continue;
            };
            out.retain(
                |c| !matches!(c, Change::AlterColumn { table: t, from, .. } if *t == table && from.name == x.name),
            );
            out.push(Change::AlterColumn {
                table: table.clone(),
                from: x.clone(),
                to: mid.clone(),
            });
            out.push(Change::AlterColumn {
                table: table.clone(),
                from: mid,
                to: y.clone(),
            });
        }
    }
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
    touched.extend(retyped_tables(out));
    touched.extend(swapped_enum_tables(out, from));
    let mut dropped: BTreeSet<QualifiedName> = out.iter().filter_map(Change::dropped_view).collect();
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

/// Functions whose SQL-standard body reads something dropped, or a table whose columns change
/// type or are dropped (PostgreSQL parsed the body when it was created and depends on what it
/// read), or whose arguments or result are of a type dropped, are dropped before and created
/// again after.
fn sql_functions(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot, gone: &BTreeSet<QualifiedName>) {
    let mut touched = gone.clone();
    touched.extend(retyped_tables(out));
    let handled: BTreeSet<(String, String, String)> = out
        .iter()
        .filter_map(|c| match c {
            Change::DropFunction(f) | Change::CreateFunction(f) | Change::ReplaceFunction { to: f, .. } => {
                Some((f.schema.clone(), f.name.clone(), f.arguments.clone()))
            }
            _ => None,
        })
        .collect();
    for f in &from.functions {
        let key = (f.schema.clone(), f.name.clone(), f.arguments.clone());
        let signature = format!("{} {}", f.arguments, f.result.as_deref().unwrap_or(""));
        let depends = f.sql_body().is_some_and(|b| uses(b, &touched)) || uses(&signature, gone);
        if handled.contains(&key) || !depends {
            continue;
        }
        let Some(n) = to
            .functions
            .iter()
            .find(|x| (&x.schema, &x.name, &x.arguments) == (&f.schema, &f.name, &f.arguments))
        else {
            continue;
        };
        out.push(Change::DropFunction(f.clone()));
        out.push(Change::CreateFunction(n.clone()));
    }
}

/// Tables with columns of an enum swapped for one with other labels (the swap casts them).
fn swapped_enum_tables(out: &[Change], from: &Snapshot) -> BTreeSet<QualifiedName> {
    let swapped: BTreeSet<QualifiedName> = out
        .iter()
        .filter_map(|c| match c {
            Change::ReplaceEnum { from, .. } => Some(QualifiedName::new(&from.schema, &from.name)),
            _ => None,
        })
        .collect();
    if swapped.is_empty() {
        return BTreeSet::new();
    }
    from.tables
        .iter()
        .filter(|t| t.columns.iter().any(|c| uses(&c.data_type, &swapped)))
        .map(|t| t.qualified())
        .collect()
}

/// Tables whose columns change type or are dropped.
fn retyped_tables(out: &[Change]) -> BTreeSet<QualifiedName> {
    out.iter()
        .filter_map(|c| match c {
            Change::AlterColumn { table, from, to }
                if from.data_type != to.data_type || from.collation != to.collation =>
            {
                Some(table.clone())
            }
            Change::DropColumn { table, .. } => Some(table.clone()),
            _ => None,
        })
        .collect()
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
            if x.generated.as_deref().is_some_and(|g| uses(g, gone)) {
                rebuild_generated(out, &name, x, y);
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

/// A generated column whose expression uses something dropped: dropped before it and added
/// again after (its values are computed again), in place of any change of the column.
fn rebuild_generated(out: &mut Vec<Change>, table: &QualifiedName, x: &Column, y: &Column) {
    out.retain(|c| !matches!(c, Change::AlterColumn { table: t, from, .. } if t == table && from.name == x.name));
    out.push(Change::DropColumn {
        table: table.clone(),
        column: x.clone(),
    });
    out.push(Change::AddColumn {
        table: table.clone(),
        column: y.clone(),
    });
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
