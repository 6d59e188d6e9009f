//! Steps for schemas and extensions.

use super::*;
use crate::render;

pub(super) fn create_schema(s: &Schema) -> Step {
    Builder::new(
        Rank::CREATE_SCHEMA,
        format!("create schema {}", s.name),
        vec![render::create_schema(s)],
    )
    .rollback(vec![render::drop_schema(s)])
    .provides([ObjectKey::schema(&s.name)])
    .lock(Lock::None)
    .done()
}

pub(super) fn drop_schema(s: &Schema) -> Step {
    Builder::new(
        Rank::DROP_SCHEMA,
        format!("drop schema {}", s.name),
        vec![render::drop_schema(s)],
    )
    .rollback(vec![render::create_schema(s)])
    .removes([ObjectKey::schema(&s.name)])
    .hazard(H::DataLoss, format!("drops schema {}", s.name))
    .lock(Lock::AccessExclusive)
    .done()
}

pub(super) fn create_extension(e: &Extension) -> Step {
    Builder::new(
        Rank::CREATE_EXTENSION,
        format!("create extension {}", e.name),
        vec![render::create_extension(e)],
    )
    .rollback(vec![render::drop_extension(e)])
    .hazards(escalation::extension_hazards(e))
    .provides([ObjectKey::extension(&e.name)])
    .needs_new([ObjectKey::schema(&e.schema)])
    .lock(Lock::None)
    .done()
}

pub(super) fn drop_extension(e: &Extension) -> Step {
    Builder::new(
        Rank::DROP_EXTENSION,
        format!("drop extension {}", e.name),
        vec![render::drop_extension(e)],
    )
    .rollback(vec![render::create_extension(e)])
    .removes([ObjectKey::extension(&e.name)])
    .hazard(H::DataLoss, format!("drops extension {} and its objects", e.name))
    .done()
}
