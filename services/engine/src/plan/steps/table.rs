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
            vec![render::create_table(t)],
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
    let mut needs_old: BTreeSet<ObjectKey> = t.columns.iter().flat_map(|c| column_refs(ctx, c, false)).collect();
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
    needs_old.remove(&ObjectKey::rel(&name));
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
