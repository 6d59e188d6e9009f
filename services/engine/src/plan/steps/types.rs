//! Steps for domains and composite types.

use super::*;
use crate::render;

pub(super) fn create_domain(ctx: &Context, d: &Domain) -> Step {
    Builder::new(
        Rank::CREATE_TYPE,
        format!("create domain {}.{}", d.schema, d.name),
        render::create_domain(d),
    )
    .rollback(vec![render::drop_type(&d.schema, &d.name)])
    .provides([ObjectKey::type_of(&d.schema, &d.name)])
    .needs_new(ctx.refs(&d.base_type, true))
    .needs_new(domain_refs(ctx, d, true))
    .lock(Lock::None)
    .done()
}

/// What a domain's default and checks use (functions, other types).
fn domain_refs(ctx: &Context, d: &Domain, new: bool) -> BTreeSet<ObjectKey> {
    let mut r = BTreeSet::new();
    for text in d.default.iter().chain(d.checks.iter().map(|c| &c.definition)) {
        r.extend(ctx.refs(text, new));
    }
    if !new {
        let domain = QualifiedName::new(&d.schema, &d.name);
        for c in &d.checks {
            r.extend(ctx.recorded(&Dependent::DomainCheck {
                domain: domain.clone(),
                name: c.name.clone(),
            }));
        }
    }
    r.remove(&ObjectKey::type_of(&d.schema, &d.name));
    r
}

pub(super) fn drop_domain(ctx: &Context, d: &Domain) -> Step {
    Builder::new(
        Rank::DROP_TYPE,
        format!("drop domain {}.{}", d.schema, d.name),
        vec![render::drop_domain(d)],
    )
    .needs_old(domain_refs(ctx, d, false))
    .rollback(render::create_domain(d))
    .removes([ObjectKey::type_of(&d.schema, &d.name)])
    .done()
}

pub(super) fn alter_domain(from: &Domain, to: &Domain) -> Step {
    let mut b = Builder::new(
        Rank::CREATE_TYPE,
        format!("alter domain {}.{}", to.schema, to.name),
        render::alter_domain(from, to),
    )
    .rollback(render::alter_domain(to, from))
    .provides([ObjectKey::type_of(&to.schema, &to.name)]);
    if (to.not_null && !from.not_null) || to.checks.iter().any(|c| !from.checks.contains(c)) {
        b = b.hazard(
            H::MayFailOnExistingData,
            "columns of the domain are checked against the new constraints",
        );
    }
    b.done()
}

pub(super) fn create_composite_type(ctx: &Context, c: &CompositeType) -> Step {
    Builder::new(
        Rank::CREATE_TYPE,
        format!("create type {}.{}", c.schema, c.name),
        vec![render::create_composite(c)],
    )
    .rollback(vec![render::drop_type(&c.schema, &c.name)])
    .provides([ObjectKey::type_of(&c.schema, &c.name)])
    .needs_new(
        c.attributes
            .iter()
            .flat_map(|a| ctx.refs(&a.data_type, true))
            .collect::<Vec<_>>(),
    )
    .lock(Lock::None)
    .done()
}

pub(super) fn drop_composite_type(c: &CompositeType) -> Step {
    Builder::new(
        Rank::DROP_TYPE,
        format!("drop type {}.{}", c.schema, c.name),
        vec![render::drop_type(&c.schema, &c.name)],
    )
    .rollback(vec![render::create_composite(c)])
    .removes([ObjectKey::type_of(&c.schema, &c.name)])
    .done()
}

pub(super) fn alter_composite_type(ctx: &Context, from: &CompositeType, to: &CompositeType) -> Step {
    let name = QualifiedName::new(&to.schema, &to.name);
    let dropped: Vec<&str> = from
        .attributes
        .iter()
        .filter(|a| !to.attributes.iter().any(|b| b.name == a.name))
        .map(|a| a.name.as_str())
        .collect();
    let mut b = Builder::new(
        Rank::CREATE_TYPE,
        format!("alter type {name}"),
        render::alter_composite(from, to),
    )
    .rollback(render::alter_composite(to, from))
    .provides([ObjectKey::type_of(&to.schema, &to.name)])
    .needs_new(
        to.attributes
            .iter()
            .flat_map(|a| ctx.refs(&a.data_type, true))
            .filter(|k| *k != ObjectKey::type_of(&to.schema, &to.name))
            .collect::<Vec<_>>(),
    );
    if !dropped.is_empty() {
        b = b.hazard(
            H::DataLoss,
            format!("drops attributes {dropped:?} of {name}: their values in columns of the type are lost"),
        );
    }
    b.done()
}

pub(super) fn create_collation(c: &Collation) -> Step {
    let name = QualifiedName::new(&c.schema, &c.name);
    Builder::new(
        Rank::CREATE_TYPE,
        format!("create collation {name}"),
        vec![render::create_collation(c)],
    )
    .rollback(vec![render::drop_collation(c)])
    .provides([ObjectKey::Collation(name)])
    .needs_new([ObjectKey::schema(&c.schema)])
    .lock(Lock::None)
    .done()
}

pub(super) fn drop_collation(c: &Collation) -> Step {
    let name = QualifiedName::new(&c.schema, &c.name);
    Builder::new(
        Rank::DROP_TYPE,
        format!("drop collation {name}"),
        vec![render::drop_collation(c)],
    )
    .rollback(vec![render::create_collation(c)])
    .removes([ObjectKey::Collation(name)])
    .lock(Lock::None)
    .done()
}
