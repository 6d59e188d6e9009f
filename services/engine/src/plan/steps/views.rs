//! Steps for views and materialized views.

use super::*;
use crate::render;

/// The shapes of the relations among keys: a view reads their columns.
fn shapes(refs: &BTreeSet<ObjectKey>) -> Vec<ObjectKey> {
    refs.iter()
        .filter_map(|r| match r {
            ObjectKey::Rel(q) => Some(ObjectKey::Shape(q.clone())),
            _ => None,
        })
        .collect()
}

pub(super) fn create_view(ctx: &Context, v: &View) -> Step {
    let name = QualifiedName::new(&v.schema, &v.name);
    let refs = ctx.refs(&v.definition, true);
    let shapes = shapes(&refs);
    Builder::new(
        Rank::CREATE_VIEW,
        format!("create view {name}"),
        vec![render::create_view(v)],
    )
    .rollback(vec![render::drop_view(v)])
    .provides([ObjectKey::rel(&name)])
    .needs_new(refs.into_iter().chain(shapes).filter(|k| k != &ObjectKey::rel(&name)))
    .lock(Lock::None)
    .done()
}

pub(super) fn drop_view(ctx: &Context, v: &View) -> Step {
    let name = QualifiedName::new(&v.schema, &v.name);
    let mut refs = ctx.refs(&v.definition, false);
    refs.extend(ctx.recorded(&Dependent::View(name.clone())));
    let shapes = shapes(&refs);
    Builder::new(Rank::DROP_VIEW, format!("drop view {name}"), vec![render::drop_view(v)])
        .rollback(vec![render::create_view(v)])
        .removes([ObjectKey::rel(&name)])
        .needs_old(refs.into_iter().chain(shapes).filter(|k| k != &ObjectKey::rel(&name)))
        .done()
}

/// The view and its indexes, filled as it is created.
pub(super) fn create_materialized_view(ctx: &Context, v: &MaterializedView) -> Step {
    let name = QualifiedName::new(&v.schema, &v.name);
    let refs = ctx.refs(&v.definition, true);
    let shapes = shapes(&refs);
    let mut sql = vec![render::create_materialized_view(v)];
    sql.extend(v.indexes.iter().map(|ix| render::create_index(&name, ix, false)));
    Builder::new(Rank::CREATE_VIEW, format!("create materialized view {name}"), sql)
        .rollback(vec![render::drop_materialized_view(v)])
        .provides([ObjectKey::rel(&name)])
        .needs_new(refs.into_iter().chain(shapes).filter(|k| k != &ObjectKey::rel(&name)))
        .hazard(H::LongRunning, format!("{name} is filled by running its query"))
        .lock(Lock::None)
        .done()
}

pub(super) fn drop_materialized_view(ctx: &Context, v: &MaterializedView) -> Step {
    let name = QualifiedName::new(&v.schema, &v.name);
    let mut refs = ctx.refs(&v.definition, false);
    refs.extend(ctx.recorded(&Dependent::View(name.clone())));
    let shapes = shapes(&refs);
    let mut back = vec![render::create_materialized_view(v)];
    back.extend(v.indexes.iter().map(|ix| render::create_index(&name, ix, false)));
    Builder::new(
        Rank::DROP_VIEW,
        format!("drop materialized view {name}"),
        vec![render::drop_materialized_view(v)],
    )
    .rollback(back)
    .removes([ObjectKey::rel(&name)])
    .needs_old(refs.into_iter().chain(shapes).filter(|k| k != &ObjectKey::rel(&name)))
    .done()
}

/// The views and materialized views of FROM that read any of `tables`, and the views that read
/// those (but the ones the plan drops: they are gone where this runs), and the indexes and
/// checks of those tables that name `types`: the statements that drop them (readers first)
/// and create them again (with their indexes, comments, triggers and grants). What makes way
/// for columns of those tables to change type within a step (the undo of new enum labels
/// swaps the type).
pub(super) fn around(
    ctx: &Context,
    tables: &BTreeSet<QualifiedName>,
    types: &BTreeSet<QualifiedName>,
) -> (Vec<String>, Vec<String>) {
    let mut touched = tables.clone();
    let mut found: Vec<Change> = Vec::new();
    loop {
        let mut more = false;
        for v in &ctx.from.views {
            let name = QualifiedName::new(&v.schema, &v.name);
            let gone = touched.contains(&name) || ctx.dropped_views.contains(&name);
            if !gone && qualified_names(&v.definition).iter().any(|r| touched.contains(r)) {
                touched.insert(name);
                found.push(Change::DropView(v.clone()));
                more = true;
            }
        }
        for v in &ctx.from.materialized_views {
            let name = QualifiedName::new(&v.schema, &v.name);
            let gone = touched.contains(&name) || ctx.dropped_views.contains(&name);
            if !gone && qualified_names(&v.definition).iter().any(|r| touched.contains(r)) {
                touched.insert(name);
                found.push(Change::DropMaterializedView(v.clone()));
                more = true;
            }
        }
        if !more {
            break;
        }
    }
    let mut drops = Vec::new();
    let mut creates = Vec::new();
    let names_type = |text: &str| qualified_names(text).iter().any(|r| types.contains(r));
    for t in ctx.from.tables.iter().filter(|t| tables.contains(&t.qualified())) {
        let name = t.qualified();
        for ix in &t.indexes {
            let sql = render::create_index(&name, ix, false);
            if names_type(&sql) {
                drops.push(render::drop_index(&t.schema, ix, false));
                creates.push(sql);
            }
        }
        for ch in &t.check_constraints {
            if names_type(&ch.expression) {
                let c = crate::diff::Constraint::Check(ch.clone());
                drops.push(render::drop_constraint(&name, &c));
                creates.extend(render::add_constraint(&name, &c, true));
            }
        }
    }
    for c in found.iter().rev() {
        match c {
            Change::DropView(v) => drops.push(render::drop_view(v)),
            Change::DropMaterializedView(v) => drops.push(render::drop_materialized_view(v)),
            _ => {}
        }
    }
    for c in &found {
        match c {
            Change::DropView(v) => creates.push(render::create_view(v)),
            Change::DropMaterializedView(v) => {
                let name = QualifiedName::new(&v.schema, &v.name);
                creates.push(render::create_materialized_view(v));
                creates.extend(v.indexes.iter().map(|ix| render::create_index(&name, ix, false)));
            }
            _ => {}
        }
        creates.extend(super::comments::restore_extras(c));
        creates.extend(super::grants::restore(ctx, c));
    }
    (drops, creates)
}
