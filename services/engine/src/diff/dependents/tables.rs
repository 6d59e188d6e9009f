//! The defaults, generation expressions, checks, indexes, triggers, policies and foreign keys
//! of tables that stay, when what they use is dropped or changes.

use super::*;

/// The defaults, generation expressions, checks, indexes, triggers and policies of tables
/// that stay, when they use something dropped (or, for generation expressions, triggers and
/// policies, which PostgreSQL does not let a column change type under, a column that changes):
/// a default is dropped before and set again after (two changes of the column); a generated
/// column is dropped and added again; the others are dropped and created again.
pub(super) fn table_dependents(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot, touched: &Touched) {
    // Without a record only what is dropped counts; with one, columns that change count for
    // the objects of their own tables.
    let columns = from.dependencies.is_read() && !touched.columns.is_empty();
    if touched.names.is_empty() && !columns {
        return;
    }
    let gone = &touched.names;
    let dropped = Dropped::of(out);
    for a in &from.tables {
        let name = a.qualified();
        if gone.is_empty() && !touched.tables.contains(&name) {
            continue;
        }
        let Some(b) = to.tables.iter().find(|t| t.qualified() == name) else {
            continue;
        };
        if dropped.tables.contains(&name) {
            continue;
        }
        let uses = |who: Dependent, text: &str| {
            touched
                .recorded(from, &who)
                .unwrap_or_else(|| touched.named(text, false))
        };
        for x in &a.columns {
            let Some(y) = b.column(&x.name) else { continue };
            let Some(expression) = x.default.as_deref().or(x.generated.as_deref()) else {
                continue;
            };
            let who = Dependent::ColumnExpression {
                table: name.clone(),
                column: x.name.clone(),
            };
            if !uses(who, expression) {
                continue;
            }
            if x.generated.is_some() {
                rebuild_generated(out, &name, x, y);
            } else {
                reset_default(out, &name, x, y, gone);
            }
        }
        for (x, y) in pairs(&a.check_constraints, &b.check_constraints, |c| &c.name) {
            let who = Dependent::Check {
                table: name.clone(),
                name: x.name.clone(),
            };
            if !dropped.constraints.contains(&(name.clone(), x.name.clone())) && uses(who, &x.expression) {
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
            let who = Dependent::Index {
                table: name.clone(),
                name: x.name.clone(),
            };
            if dropped.indexes.contains(&(name.clone(), x.name.clone())) {
                continue;
            }
            let used = touched
                .recorded(from, &who)
                .unwrap_or_else(|| touched.named(&crate::render::create_index(&name, x, false), false));
            if used {
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
            let who = Dependent::Trigger {
                table: name.clone(),
                name: x.name.clone(),
            };
            if !dropped.triggers.contains(&(name.clone(), x.name.clone())) && uses(who, &x.definition) {
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
            let who = Dependent::Policy {
                table: name.clone(),
                name: x.name.clone(),
            };
            let text = [&x.using, &x.with_check]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(" ");
            if !dropped.policies.contains(&(name.clone(), x.name.clone())) && uses(who, &text) {
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

/// A default that uses something dropped: dropped first, set after. When TO's default is
/// another that uses nothing dropped, the one change there already is does it in one step.
fn reset_default(out: &mut Vec<Change>, table: &QualifiedName, x: &Column, y: &Column, gone: &BTreeSet<QualifiedName>) {
    // A column of a type that goes changes type, and its default with it (an enum swap sets
    // the defaults of the type's columns itself).
    let same = x.default == y.default;
    if !(same || y.default.as_deref().is_some_and(|d| uses(d, gone))) || uses(&x.data_type, gone) {
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
pub(super) fn foreign_keys(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
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
