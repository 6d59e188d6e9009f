//! Steps for columns: added, dropped, altered (types, defaults, NOT NULL, identity,
//! generation).

use super::*;
use crate::render;

pub(super) fn add_column(ctx: &Context, table: &QualifiedName, column: &Column) -> Step {
    let mut b = Builder::new(
        Rank::ALTER_COLUMN,
        format!("add column {table}.{}", column.name),
        std::iter::once(render::add_column(table, column))
            .chain(render::column_settings(table, column))
            .collect(),
    )
    .rollback(vec![render::drop_column(table, column)])
    .note(format!(
        "the rollback drops {table}.{} with what was written to it",
        column.name
    ))
    .provides([ObjectKey::shape(table), ObjectKey::column(table, &column.name)])
    .needs_new(column_refs(ctx, column, true));
    let volatile = column.identity.is_some()
        || column.generated.is_some()
        || column.default.as_deref().is_some_and(|d| {
            [
                "nextval(",
                "random(",
                "gen_random_uuid(",
                "uuid_generate",
                "clock_timestamp(",
            ]
            .iter()
            .any(|f| d.contains(f))
        });
    if volatile {
        b = b
            .hazard(
                H::TableRewrite,
                format!("rewrites {} to fill the new column", ctx.sized(table)),
            )
            .hazard(
                H::AccessExclusiveLock,
                format!("{table} is locked while it is rewritten"),
            );
    }
    if column.not_null && column.default.is_none() && column.identity.is_none() && column.generated.is_none() {
        b = b
            .hazard(
                H::MayFailOnExistingData,
                format!("{table} must be empty: the new column is NOT NULL without a default"),
            )
            .data_check(DataCheck::Rows { table: table.clone() });
    }
    b.done()
}

/// A column added back, with its statistics target and storage (which `ADD COLUMN` cannot say).
fn with_settings(table: &QualifiedName, column: &Column, add: String) -> Vec<String> {
    std::iter::once(add)
        .chain(render::column_settings(table, column))
        .collect()
}

pub(super) fn drop_column(ctx: &Context, table: &QualifiedName, column: &Column) -> Step {
    if column.generated.is_some() {
        // Its values are computed: adding it back computes them again.
        return Builder::new(
            Rank::ALTER_COLUMN,
            format!("drop generated column {table}.{}", column.name),
            vec![render::drop_column(table, column)],
        )
        .rollback(with_settings(table, column, render::add_column(table, column)))
        .removes([ObjectKey::shape(table)])
        .needs_old(old_column_refs(ctx, table, column))
        .hazard(
            H::DropsObject,
            format!(
                "drops generated column {table}.{}: queries that read it fail",
                column.name
            ),
        )
        .done();
    }
    let mut b = Builder::new(
        Rank::ALTER_COLUMN,
        format!("drop column {table}.{}", column.name),
        vec![render::drop_column(table, column)],
    )
    .rollback(with_settings(
        table,
        column,
        render::add_column(
            table,
            // NOT NULL comes back only where a default or identity fills the existing rows.
            &Column {
                not_null: column.not_null && (column.default.is_some() || column.identity.is_some()),
                ..column.clone()
            },
        ),
    ))
    .note(format!(
        "the rollback adds {table}.{} back empty (and nullable): its values are lost",
        column.name
    ))
    .removes([ObjectKey::shape(table)])
    .needs_old(old_column_refs(ctx, table, column))
    .hazard(
        H::DataLoss,
        format!("drops column {}.{} and its values", ctx.sized(table), column.name),
    );
    if let Some(new) = same_shape_added(ctx, table, column) {
        b = b.hazard(
            H::PossibleRename,
            format!(
                "{table}.{} is dropped and {table}.{new} added with the same type: if it was renamed, declare it (\"renamed_from\": \"{}\" on the column in a snapshot, or a line `-- schemareg:renamed_from {}` before it in DDL) and its values stay; otherwise they are lost",
                column.name, column.name, column.name
            ),
        );
    }
    b.done()
}

/// A column TO adds to the table (one FROM's table does not have, with no declared rename) of
/// the same type as a column it drops.
fn same_shape_added(ctx: &Context, table: &QualifiedName, dropped: &Column) -> Option<String> {
    let before = ctx.from.tables.iter().find(|t| &t.qualified() == table)?;
    let after = ctx.to.tables.iter().find(|t| &t.qualified() == table)?;
    after
        .columns
        .iter()
        .find(|c| c.renamed_from.is_none() && before.column(&c.name).is_none() && c.data_type == dropped.data_type)
        .map(|c| c.name.clone())
}

/// A type change that PostgreSQL makes without rewriting the table, or that cannot fail.
fn widening(from: &str, to: &str) -> (bool, bool) {
    // (no rewrite, cannot fail)
    let len = |t: &str, base: &str| {
        t.strip_prefix(base)
            .and_then(|r| r.strip_prefix('('))
            .and_then(|r| r.strip_suffix(')'))
            .and_then(|n| n.parse::<i64>().ok())
    };
    for base in ["character varying", "bit varying"] {
        if let (Some(a), Some(b)) = (len(from, base), len(to, base)) {
            return (b >= a, b >= a);
        }
        if len(from, base).is_some() && to == base {
            return (true, true);
        }
    }
    if (from.starts_with("character varying") || from == "text") && to == "text" {
        return (true, true);
    }
    if from == "timestamp without time zone" && to == "timestamp with time zone" {
        return (true, true);
    }
    if let (Some(a), Some(b)) = (from.strip_prefix("numeric("), to.strip_prefix("numeric(")) {
        let parse = |s: &str| -> Option<(i64, i64)> {
            let s = s.strip_suffix(')')?;
            let (p, sc) = s.split_once(',').unwrap_or((s, "0"));
            Some((p.trim().parse().ok()?, sc.trim().parse().ok()?))
        };
        if let (Some((p1, s1)), Some((p2, s2))) = (parse(a), parse(b)) {
            let ok = s1 == s2 && p2 >= p1;
            return (ok, ok);
        }
    }
    if from == to {
        return (true, true);
    }
    let widen = [
        ("smallint", "integer"),
        ("smallint", "bigint"),
        ("integer", "bigint"),
        ("real", "double precision"),
    ];
    if widen.contains(&(from, to)) {
        return (false, true);
    }
    (false, false)
}

pub(super) fn alter_column(ctx: &Context, table: &QualifiedName, from: &Column, to: &Column) -> Vec<Step> {
    // Dropping an identity frees its sequence's name (`table_column_seq`), which a serial's
    // new sequence may take: that is a step of its own, before the sequence is created.
    if from.identity.is_some() && to.identity.is_none() {
        let without = Column {
            identity: None,
            ..from.clone()
        };
        let seq = ObjectKey::Rel(QualifiedName::new(
            &table.schema,
            format!("{}_{}_seq", table.name, from.name),
        ));
        let mut steps = vec![
            Builder::new(
                Rank::ALTER_COLUMN,
                format!("drop identity of {table}.{}", from.name),
                vec![render::drop_identity(table, from)],
            )
            .rollback(render::alter_column(table, &without, from).statements)
            .removes([seq])
            .done(),
        ];
        if without != *to {
            steps.extend(alter_column(ctx, table, &without, to));
        }
        return steps;
    }
    // Identity in place of a default (a serial's nextval): the default goes first, then the
    // serial's sequence (a step of its own, which frees the name `table_column_seq`), then the
    // identity is added, its sequence taking that name.
    if from.identity.is_none() && to.identity.is_some() && from.default.is_some() {
        let bare = Column {
            default: None,
            ..from.clone()
        };
        let mut steps = alter_column(ctx, table, from, &bare);
        let mut add = alter_column(ctx, table, &bare, to);
        let seq = to
            .identity
            .as_ref()
            .and_then(|i| i.sequence_name.clone())
            .unwrap_or_else(|| format!("{}_{}_seq", table.name, to.name));
        if let Some(last) = add.last_mut() {
            last.deps
                .provides
                .insert(ObjectKey::Rel(QualifiedName::new(&table.schema, seq)));
        }
        steps.extend(add);
        return steps;
    }
    let mut a = render::alter_column(table, from, to);
    // On a big table, a new NOT NULL is proven by a CHECK validated without the exclusive lock
    // first: SET NOT NULL then uses it instead of scanning the table under that lock.
    let mut before = Vec::new();
    if a.sets_not_null && to.identity.is_none() && ctx.is_big(table) {
        let check = format!("{}_{}_not_null", table.name, to.name);
        let set = render::set_not_null(table, to);
        a.statements.retain(|s| s != &set);
        a.statements.push(set);
        a.statements.push(render::drop_constraint_named(table, &check));
        let mut add = Builder::new(
            Rank::ALTER_COLUMN,
            format!("prove {}.{} NOT NULL: add a check, not valid", table, to.name),
            vec![render::add_not_null_check(table, &check, &to.name)],
        )
        .rollback(vec![render::drop_constraint_if_exists(table, &check)])
        .needs_new(column_refs(ctx, to, true))
        .lock(Lock::AccessExclusive)
        .done();
        add.commit_after = true;
        add.deps.provides.insert(ObjectKey::not_null(table, &to.name));
        let mut validate = Builder::new(
            Rank::ALTER_COLUMN,
            format!("prove {}.{} NOT NULL: validate the check", table, to.name),
            vec![render::validate_constraint(table, &check)],
        )
        .needs_new([ObjectKey::not_null(table, &to.name)])
        .lock(Lock::ShareUpdateExclusive)
        .hazard(
            H::MayFailOnExistingData,
            format!("NULLs in {table}.{} make the validation fail", to.name),
        )
        .data_check(DataCheck::Nulls {
            table: table.clone(),
            column: to.name.clone(),
        })
        .hazard(
            H::LongRunning,
            format!("scans {} (reads and writes go on)", ctx.sized(table)),
        )
        .done();
        validate.commit_after = true;
        validate
            .deps
            .provides
            .insert(ObjectKey::not_null_valid(table, &to.name));
        before.push(add);
        before.push(validate);
    }
    let what = format!("{table}.{}", to.name);
    if a.needs_rebuild {
        return vec![
            Builder::new(
                Rank::ALTER_COLUMN,
                format!("rebuild generated column {what}"),
                vec![render::drop_column(table, from), render::add_column(table, to)],
            )
            .rollback(vec![render::drop_column(table, to), render::add_column(table, from)])
            .removes([ObjectKey::shape(table)])
            .provides([ObjectKey::shape(table)])
            .needs_new(column_refs(ctx, to, true))
            .hazard(
                H::TableRewrite,
                format!("rewrites {} to compute the new expression", ctx.sized(table)),
            )
            .hazard(
                H::AccessExclusiveLock,
                format!("{table} is locked while it is rewritten"),
            )
            .done(),
        ];
    }
    let back = render::alter_column(table, to, from);
    // Undoing a dropped expression adds the generated column back.
    let back = if back.needs_rebuild {
        vec![render::drop_column(table, to), render::add_column(table, from)]
    } else {
        back.statements
    };
    let mut b = Builder::new(Rank::ALTER_COLUMN, format!("alter column {what}"), a.statements)
        .rollback(back)
        .needs_new(column_refs(ctx, to, true))
        .needs_old(old_column_refs(ctx, table, from))
        .provides([ObjectKey::column(table, &to.name)])
        .lock(Lock::AccessExclusive);
    if a.type_changed {
        b = b.removes([ObjectKey::shape(table)]).provides([ObjectKey::shape(table)]);
        let (no_rewrite, safe) = widening(&from.data_type, &to.data_type);
        let sized = ctx.sized(table);
        if !no_rewrite {
            b = b
                .hazard(
                    H::TableRewrite,
                    format!(
                        "rewrites {sized} to change {} from {} to {}",
                        to.name, from.data_type, to.data_type
                    ),
                )
                .hazard(
                    H::AccessExclusiveLock,
                    format!("{table} is locked while it is rewritten"),
                );
        } else {
            b = b.hazard(
                H::AccessExclusiveLock,
                format!("{table} is locked briefly to change the column's type"),
            );
        }
        if !safe {
            b = b
                .hazard(
                    H::MayFailOnExistingData,
                    format!(
                        "values of {what} that do not cast from {} to {} make the step fail",
                        from.data_type, to.data_type
                    ),
                )
                .data_check(DataCheck::Casts {
                    table: table.clone(),
                    column: to.name.clone(),
                    to_type: to.data_type.clone(),
                    using: render::cast_using(from, to).unwrap_or_else(|| render::ident::ident(&to.name)),
                });
        }
        if from.data_type == "timestamp without time zone" && to.data_type == "timestamp with time zone" {
            b = b.hazard(
                H::ReinterpretsData,
                format!("existing values of {what} are read in the session time zone; the plan sets TIME ZONE 'UTC' (edit it, or use USING … AT TIME ZONE, if they were written in another zone)"),
            );
        }
        if ctx.is_big(table) {
            b = b.hazard(H::LongRunning, format!("{sized} is big"));
        }
    }
    if a.restarts {
        let name = format!("the identity sequence of {what}");
        b = b.hazard(
            H::MayFailOnExistingData,
            super::sequences::restart_hazard(&name, to.identity.as_ref().map_or(1, |i| i.sequence.start)),
        );
    }
    if a.sets_not_null && before.is_empty() {
        b = b
            .hazard(
                H::MayFailOnExistingData,
                format!("NULLs in {what} make SET NOT NULL fail"),
            )
            .data_check(DataCheck::Nulls {
                table: table.clone(),
                column: to.name.clone(),
            });
    }
    if !before.is_empty() {
        b = b.needs_new([ObjectKey::not_null_valid(table, &to.name)]);
    }
    before.push(b.done());
    before
}
