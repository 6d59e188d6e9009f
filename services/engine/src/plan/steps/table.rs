//! Steps for tables, columns and constraints.

use super::*;

/// A type change that PostgreSQL makes without rewriting the table, or that cannot fail.
pub(super) fn widening(from: &str, to: &str) -> (bool, bool) {
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

/// Everything that makes a dropped table again, but its rows and foreign keys: the sequences
/// its columns own, the table, its other constraints, indexes, triggers, row-level security,
/// policies and comments.
pub(super) fn recreate_table(t: &Table, owned: &[&Sequence]) -> Vec<String> {
    let name = t.qualified();
    let mut sql: Vec<String> = owned
        .iter()
        .map(|s| {
            render::create_sequence(&Sequence {
                owned_by: None,
                ..(*s).clone()
            })
        })
        .collect();
    sql.push(render::create_table(t));
    sql.extend(owned.iter().map(|s| render::sequence_owned_by(s)));
    let partition = t.partition_of.is_some();
    for c in Constraint::all_of(t) {
        if !matches!(c, Constraint::ForeignKey(_)) && !partition {
            sql.extend(render::add_constraint(&name, &c, true));
        }
        if let Some(text) = c.comment() {
            sql.push(render::comment(
                &CommentTarget::Constraint {
                    table: name.clone(),
                    name: c.name().to_string(),
                },
                Some(text),
            ));
        }
    }
    for ix in &t.indexes {
        sql.push(render::create_index(&name, ix, false));
        if let Some(text) = &ix.comment {
            sql.push(render::comment(
                &CommentTarget::Index {
                    schema: t.schema.clone(),
                    name: ix.name.clone(),
                },
                Some(text),
            ));
        }
    }
    for tr in &t.triggers {
        sql.push(render::create_trigger(tr));
        if tr.enabled != TriggerEnabled::Origin {
            sql.push(render::set_trigger_enabled(&name, &tr.name, tr.enabled));
        }
        sql.extend(comment_sql(
            CommentTarget::Trigger {
                table: name.clone(),
                name: tr.name.clone(),
            },
            &tr.comment,
        ));
    }
    sql.extend(render::set_row_security(&name, RowSecurity::default(), t.row_security));
    for p in &t.policies {
        sql.push(render::create_policy(&name, p));
        sql.extend(comment_sql(
            CommentTarget::Policy {
                table: name.clone(),
                name: p.name.clone(),
            },
            &p.comment,
        ));
    }
    if let Some(text) = &t.comment {
        sql.push(render::comment(
            &CommentTarget::Table { name: name.clone() },
            Some(text),
        ));
    }
    for c in t.columns.iter().filter(|c| c.comment.is_some()) {
        let target = CommentTarget::Column {
            table: name.clone(),
            column: c.name.clone(),
            relation: "table",
        };
        sql.push(render::comment(&target, c.comment.as_deref()));
    }
    sql
}

pub(super) fn create_table(ctx: &Context, t: &Table) -> Vec<Step> {
    let name = t.qualified();
    let mut needs: BTreeSet<String> = t.columns.iter().flat_map(|c| column_refs(ctx, c, true)).collect();
    needs.insert(format!("schema:{}", t.schema));
    if let Some(p) = &t.partition_of {
        needs.insert(rel(&p.parent));
        needs.insert(shape(&p.parent));
    }
    for p in &t.inherits {
        needs.insert(rel(p));
    }
    needs.remove(&rel(&name));
    let cols = t
        .columns
        .iter()
        .map(|c| format!("col:{}.{}.{}", t.schema, t.name, c.name));
    vec![
        Builder::new(10, format!("create table {name}"), vec![render::create_table(t)])
            .rollback(vec![render::drop_table(t)])
            .note(format!("the rollback drops {name} with the rows written to it"))
            .provides([rel(&name), shape(&name)].into_iter().chain(cols))
            .needs_new(needs)
            .lock(Lock::None)
            .done(),
    ]
}

pub(super) fn alter_column(ctx: &Context, table: &QualifiedName, from: &Column, to: &Column) -> Vec<Step> {
    // Dropping an identity frees its sequence's name (`table_column_seq`), which a serial's
    // new sequence may take: that is a step of its own, before the sequence is created.
    if from.identity.is_some() && to.identity.is_none() {
        let without = Column {
            identity: None,
            ..from.clone()
        };
        let seq = format!("rel:{}.{}_{}_seq", table.schema, table.name, from.name);
        let mut steps = vec![
            Builder::new(
                11,
                format!("drop identity of {table}.{}", from.name),
                vec![format!(
                    "ALTER TABLE {} ALTER COLUMN {} DROP IDENTITY",
                    qn(table),
                    render::ident::ident(&from.name)
                )],
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
    let mut a = render::alter_column(table, from, to);
    // On a big table, a new NOT NULL is proven by a CHECK validated without the exclusive lock
    // first: SET NOT NULL then uses it instead of scanning the table under that lock.
    let mut before = Vec::new();
    if a.sets_not_null && to.identity.is_none() && ctx.is_big(table) {
        let t = qn(table);
        let col = render::ident::ident(&to.name);
        let check = render::ident::ident(&format!("{}_{}_not_null", table.name, to.name));
        let set = format!("ALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL");
        a.statements.retain(|s| s != &set);
        a.statements.push(set);
        a.statements.push(format!("ALTER TABLE {t} DROP CONSTRAINT {check}"));
        let mut add = Builder::new(
            11,
            format!("prove {}.{} NOT NULL: add a check, not valid", table, to.name),
            vec![format!(
                "ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({col} IS NOT NULL) NOT VALID"
            )],
        )
        .rollback(vec![format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {check}")])
        .needs_new(column_refs(ctx, to, true))
        .lock(Lock::AccessExclusive)
        .done();
        add.deps.commit_after = true;
        add.deps.provides.insert(format!("notnull:{table}.{}", to.name));
        let mut validate = Builder::new(
            11,
            format!("prove {}.{} NOT NULL: validate the check", table, to.name),
            vec![format!("ALTER TABLE {t} VALIDATE CONSTRAINT {check}")],
        )
        .needs_new([format!("notnull:{table}.{}", to.name)])
        .lock(Lock::ShareUpdateExclusive)
        .hazard(
            H::MayFailOnExistingData,
            format!("NULLs in {table}.{} make the validation fail", to.name),
        )
        .hazard(
            H::LongRunning,
            format!("scans {} (reads and writes go on)", ctx.sized(table)),
        )
        .done();
        validate.deps.commit_after = true;
        validate
            .deps
            .provides
            .insert(format!("notnull-valid:{table}.{}", to.name));
        before.push(add);
        before.push(validate);
    }
    let what = format!("{table}.{}", to.name);
    if a.needs_rebuild {
        return vec![
            Builder::new(
                11,
                format!("rebuild generated column {what}"),
                vec![render::drop_column(table, from), render::add_column(table, to)],
            )
            .rollback(vec![render::drop_column(table, to), render::add_column(table, from)])
            .removes([shape(table)])
            .provides([shape(table)])
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
    let mut b = Builder::new(11, format!("alter column {what}"), a.statements)
        .rollback(back.statements)
        .needs_new(column_refs(ctx, to, true))
        .needs_old(column_refs(ctx, from, false))
        .provides([format!("col:{}.{}.{}", table.schema, table.name, to.name)])
        .lock(Lock::AccessExclusive);
    if a.type_changed {
        b = b.removes([shape(table)]).provides([shape(table)]);
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
            b = b.hazard(
                H::MayFailOnExistingData,
                format!(
                    "values of {what} that do not cast from {} to {} make the step fail",
                    from.data_type, to.data_type
                ),
            );
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
    if a.sets_not_null && before.is_empty() {
        b = b.hazard(
            H::MayFailOnExistingData,
            format!("NULLs in {what} make SET NOT NULL fail"),
        );
    }
    if !before.is_empty() {
        b = b.needs_new([format!("notnull-valid:{table}.{}", to.name)]);
    }
    before.push(b.done());
    before
}

pub(super) fn add_constraint(ctx: &Context, table: &QualifiedName, c: &Constraint, new_table: bool) -> Vec<Step> {
    let existing = !new_table && ctx.table_exists_before(table);
    let sql = render::add_constraint(table, c, !existing);
    let fk = matches!(c, Constraint::ForeignKey(_));
    let mut b = Builder::new(
        if fk { 15 } else { 13 },
        format!("add constraint {} on {table}", c.name()),
        sql,
    )
    .rollback(vec![render::drop_constraint(table, c)])
    .needs_new([rel(table)])
    .lock(if fk {
        Lock::ShareRowExclusive
    } else {
        Lock::AccessExclusive
    });
    match c {
        Constraint::PrimaryKey(PrimaryKey { columns, .. }) | Constraint::Unique(UniqueConstraint { columns, .. }) => {
            b = b.provides([key_of(table, columns)]);
            if existing {
                let what = if matches!(c, Constraint::PrimaryKey(_)) {
                    "duplicates or NULLs"
                } else {
                    "duplicates"
                };
                b = b
                    .hazard(
                        H::MayFailOnExistingData,
                        format!("{what} in {table}({}) make it fail", columns.join(", ")),
                    )
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
        }
        Constraint::ForeignKey(f) => {
            b = b.needs_new([rel(&f.references), key_of(&f.references, &f.referenced_columns)]);
            if existing {
                b = b.hazard(
                    H::MayFailOnExistingData,
                    format!(
                        "rows of {} without a match in {} make VALIDATE fail",
                        ctx.sized(table),
                        f.references
                    ),
                );
            }
        }
        _ => {}
    }
    if let Constraint::Check(ch) = c {
        b = b.needs_new(ctx.refs(&ch.expression, true));
    }
    vec![b.done()]
}
