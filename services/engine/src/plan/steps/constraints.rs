//! Steps for table constraints: primary keys, unique, check, exclusion and foreign keys.

use super::*;
use crate::diff::Constraint;
use crate::render;

pub(super) fn add_constraint(ctx: &Context, table: &QualifiedName, c: &Constraint, new_table: bool) -> Vec<Step> {
    let existing = !new_table && ctx.table_exists_before(table);
    let sql = render::add_constraint(table, c, !existing);
    let fk = matches!(c, Constraint::ForeignKey(_));
    let mut b = Builder::new(
        if fk {
            Rank::ADD_FOREIGN_KEY
        } else {
            Rank::ADD_CONSTRAINT
        },
        format!("add constraint {} on {table}", c.name()),
        sql,
    )
    .rollback(vec![render::drop_constraint(table, c)])
    .needs_new([ObjectKey::rel(table)])
    .lock(if fk {
        Lock::ShareRowExclusive
    } else {
        Lock::AccessExclusive
    });
    match c {
        Constraint::PrimaryKey(PrimaryKey { columns, .. }) | Constraint::Unique(UniqueConstraint { columns, .. }) => {
            b = b.provides([ObjectKey::key(table, columns)]);
            if existing {
                let what = if matches!(c, Constraint::PrimaryKey(_)) {
                    "duplicates or NULLs"
                } else {
                    "duplicates"
                };
                let nulls_not_distinct = matches!(c, Constraint::Unique(u) if u.nulls_not_distinct);
                b = b
                    .hazard(
                        H::MayFailOnExistingData,
                        format!("{what} in {table}({}) make it fail", columns.join(", ")),
                    )
                    .data_check(DataCheck::Duplicates {
                        table: table.clone(),
                        keys: columns.iter().map(|c| render::ident::ident(c)).collect(),
                        predicate: None,
                        nulls_fail: matches!(c, Constraint::PrimaryKey(_)),
                        nulls_not_distinct,
                    })
                    .hazard(
                        H::AccessExclusiveLock,
                        format!("{} is locked while the index is built", ctx.sized(table)),
                    );
            }
        }
        Constraint::Check(_) | Constraint::Exclusion(_) if existing => {
            b = b.hazard(
                H::MayFailOnExistingData,
                format!("rows of {} that break it make it fail", ctx.sized(table)),
            );
            if let Constraint::Check(check) = c {
                b = b.data_check(DataCheck::Violations {
                    table: table.clone(),
                    expression: check.expression.clone(),
                });
            }
        }
        Constraint::ForeignKey(f) => {
            b = b.needs_new([
                ObjectKey::rel(&f.references),
                ObjectKey::key(&f.references, &f.referenced_columns),
            ]);
            if existing {
                b = b
                    .hazard(
                        H::MayFailOnExistingData,
                        format!(
                            "rows of {} without a match in {} make VALIDATE fail",
                            ctx.sized(table),
                            f.references
                        ),
                    )
                    .data_check(DataCheck::Orphans {
                        table: table.clone(),
                        columns: f.columns.clone(),
                        references: f.references.clone(),
                        referenced_columns: f.referenced_columns.clone(),
                    });
            }
        }
        _ => {}
    }
    if let Constraint::Check(ch) = c {
        b = b.needs_new(ctx.refs(&ch.expression, true));
    }
    vec![b.done()]
}

pub(super) fn drop_constraint(ctx: &Context, table: &QualifiedName, constraint: &Constraint) -> Step {
    let mut b = Builder::new(
        if matches!(constraint, Constraint::ForeignKey(_)) {
            Rank::DROP_FOREIGN_KEY
        } else {
            Rank::DROP_CONSTRAINT_OR_INDEX
        },
        format!("drop constraint {} on {table}", constraint.name()),
        vec![render::drop_constraint(table, constraint)],
    )
    .rollback(render::add_constraint(table, constraint, false));
    match constraint {
        Constraint::PrimaryKey(k) => b = b.removes([ObjectKey::key(table, &k.columns)]),
        Constraint::Unique(k) => b = b.removes([ObjectKey::key(table, &k.columns)]),
        Constraint::ForeignKey(f) => {
            b = b.needs_old([
                ObjectKey::key(&f.references, &f.referenced_columns),
                ObjectKey::rel(&f.references),
            ])
        }
        // Dropped before the functions and types its expression uses.
        Constraint::Check(ch) => {
            b = b
                .needs_old(ctx.refs(&ch.expression, false))
                .needs_old(ctx.recorded(&Dependent::Check {
                    table: table.clone(),
                    name: ch.name.clone(),
                }))
        }
        _ => {}
    }
    b.done()
}
