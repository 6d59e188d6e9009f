//! Steps for tables: created, dropped (and what their rollback makes again), row-level
//! security and storage parameters.

use super::*;
use crate::diff::{CommentTarget, Constraint};
use crate::render;

/// Everything that makes a dropped table again, but its rows and foreign keys: the sequences
/// its columns own, the table, its other constraints, indexes, triggers, row-level security,
/// policies and comments.
fn recreate_table(t: &Table, owned: &[&Sequence]) -> Vec<String> {
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
    sql.extend(t.columns.iter().flat_map(|c| render::column_settings(&name, c)));
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
        sql.extend(comments::comment_sql(
            CommentTarget::Trigger {
                table: name.clone(),
                name: tr.name.clone(),
            },
            &tr.comment,
        ));
    }
    sql.extend(render::set_row_security(&name, RowSecurity::default(), t.row_security));
    if t.replica_identity.is_some() {
        sql.push(render::replica_identity(&name, t.replica_identity.as_ref()));
    }
    for p in &t.policies {
        sql.push(render::create_policy(&name, p));
        sql.extend(comments::comment_sql(
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
    let mut needs: BTreeSet<ObjectKey> = t.columns.iter().flat_map(|c| column_refs(ctx, c, true)).collect();
    needs.insert(ObjectKey::schema(&t.schema));
    if let Some(p) = &t.partition_of {
        needs.insert(ObjectKey::rel(&p.parent));
        needs.insert(ObjectKey::shape(&p.parent));
    }
    for p in &t.inherits {
        needs.insert(ObjectKey::rel(p));
    }
    needs.remove(&ObjectKey::rel(&name));
    let cols = t.columns.iter().map(|c| ObjectKey::column(&name, &c.name));
    vec![
        Builder::new(
            Rank::CREATE_TABLE,
            format!("create table {name}"),
            std::iter::once(render::create_table(t))
                .chain(t.columns.iter().flat_map(|c| render::column_settings(&name, c)))
                .collect(),
        )
        .rollback(vec![render::drop_table(t)])
        .note(format!("the rollback drops {name} with the rows written to it"))
        .provides([ObjectKey::rel(&name), ObjectKey::shape(&name)].into_iter().chain(cols))
        .needs_new(needs)
        .lock(Lock::None)
        .done(),
    ]
}

pub(super) fn drop_table(ctx: &Context, t: &Table) -> Step {
    let name = t.qualified();
    let mut needs_old: BTreeSet<ObjectKey> = t.columns.iter().flat_map(|c| old_column_refs(ctx, &name, c)).collect();
    if let Some(p) = &t.partition_of {
        needs_old.insert(ObjectKey::rel(&p.parent));
    }
    // Policies and checks that read other tables go with this one, before those.
    for e in t.policies.iter().flat_map(|p| [&p.using, &p.with_check]).flatten() {
        needs_old.extend(ctx.refs(e, false));
    }
    for c in &t.check_constraints {
        needs_old.extend(ctx.refs(&c.expression, false));
    }
    // What PostgreSQL recorded of them too, when FROM was read live.
    let recorded = t
        .policies
        .iter()
        .map(|p| Dependent::Policy {
            table: name.clone(),
            name: p.name.clone(),
        })
        .chain(t.check_constraints.iter().map(|c| Dependent::Check {
            table: name.clone(),
            name: c.name.clone(),
        }))
        .chain(t.triggers.iter().map(|x| Dependent::Trigger {
            table: name.clone(),
            name: x.name.clone(),
        }));
    for who in recorded {
        needs_old.extend(ctx.recorded(&who));
    }
    needs_old.remove(&ObjectKey::rel(&name));
    needs_old.remove(&ObjectKey::shape(&name));
    let owned: Vec<&Sequence> = ctx
        .from
        .sequences
        .iter()
        .filter(|s| {
            s.owned_by
                .as_ref()
                .is_some_and(|o| o.schema == t.schema && o.table == t.name)
        })
        .collect();
    let mut b = Builder::new(
        Rank::DROP_TABLE,
        format!("drop table {name}"),
        vec![render::drop_table(t)],
    )
    .rollback(recreate_table(t, &owned))
    .note(format!(
        "the rollback recreates {name} (foreign keys come back with their own steps) but not its rows"
    ))
    .removes([ObjectKey::rel(&name), ObjectKey::shape(&name)])
    .removes(
        owned
            .iter()
            .map(|s| ObjectKey::rel(&QualifiedName::new(&s.schema, &s.name))),
    )
    .needs_old(needs_old)
    .hazard(H::DataLoss, format!("drops {} with its rows", ctx.sized(&name)));
    if t.partition_by.is_some() {
        b = b.hazard(H::DataLoss, "drops every partition of the table");
    }
    fn shape(x: &Table) -> Vec<(&str, &str)> {
        let mut cols: Vec<(&str, &str)> = x
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.data_type.as_str()))
            .collect();
        cols.sort();
        cols
    }
    // A table TO adds with the same columns (not one created again under its own name, not a
    // partition, which takes its parent's columns).
    let recreated = ctx.to.tables.iter().any(|x| x.qualified() == name);
    let twin = ctx.to.tables.iter().find(|x| {
        !recreated
            && x.schema == t.schema
            && x.renamed_from.is_none()
            && x.partition_of.is_none()
            && !ctx.table_exists_before(&x.qualified())
            && shape(x) == shape(t)
    });
    if let Some(x) = twin {
        b = b.hazard(
            H::PossibleRename,
            format!(
                "{name} is dropped and {} added with the same columns: if it was renamed, declare it (\"renamed_from\": \"{}\" on the table in a snapshot, or a line `-- schemareg:renamed_from {}` before its CREATE TABLE in DDL) and its rows stay; otherwise they are lost",
                x.qualified(),
                t.name,
                t.name
            ),
        );
    }
    b.done()
}

pub(super) fn set_row_security(table: &QualifiedName, from: RowSecurity, to: RowSecurity) -> Step {
    Builder::new(
        Rank::TABLE_SETTINGS,
        format!("set row-level security on {table}"),
        render::set_row_security(table, from, to),
    )
    .rollback(render::set_row_security(table, to, from))
    .hazards(escalation::row_security_hazards(table, from, to))
    .needs_new([ObjectKey::rel(table)])
    .done()
}

/// Which old values logical replication sends (`REPLICA IDENTITY`), after the index it names.
pub(super) fn set_replica_identity(
    table: &QualifiedName,
    from: Option<&ReplicaIdentity>,
    to: Option<&ReplicaIdentity>,
) -> Step {
    Builder::new(
        Rank::TABLE_SETTINGS,
        format!("set replica identity of {table}"),
        vec![render::replica_identity(table, to)],
    )
    .rollback(vec![render::replica_identity(table, from)])
    .needs_new([ObjectKey::rel(table)])
    .lock(Lock::AccessExclusive)
    .done()
}

/// Storage parameters (`fillfactor=70`).
pub(super) fn set_table_options(table: &QualifiedName, from: &[String], to: &[String]) -> Step {
    Builder::new(
        Rank::TABLE_SETTINGS,
        format!("set storage parameters of {table}"),
        render::set_table_options(table, from, to),
    )
    .rollback(render::set_table_options(table, to, from))
    .needs_new([ObjectKey::rel(table)])
    .lock(Lock::ShareUpdateExclusive)
    .done()
}

pub(super) fn rename_table(from: &QualifiedName, to: &QualifiedName) -> Step {
    Builder::new(
        Rank::RENAME,
        format!("rename table {from} to {}", to.name),
        vec![render::rename_table(from, &to.name)],
    )
    .rollback(vec![render::rename_table(to, &from.name)])
    .note(format!("queries that name {from} fail once it is {to}"))
    .removes([ObjectKey::rel(from)])
    .provides([ObjectKey::rel(to), ObjectKey::shape(to)])
    .done()
}

pub(super) fn rename_column(table: &QualifiedName, from: &str, to: &str) -> Step {
    Builder::new(
        Rank::RENAME,
        format!("rename column {table}.{from} to {to}"),
        vec![render::rename_column(table, from, to)],
    )
    .rollback(vec![render::rename_column(table, to, from)])
    .note(format!("queries that name {table}.{from} fail once it is {to}"))
    .needs_new([ObjectKey::rel(table)])
    .provides([ObjectKey::column(table, to), ObjectKey::shape(table)])
    .removes([ObjectKey::shape(table)])
    .done()
}
