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
    let refs = ctx.refs(&v.definition, false);
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
    let refs = ctx.refs(&v.definition, false);
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
