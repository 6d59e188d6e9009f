//! Steps for functions and procedures.

use super::*;
use crate::render;

fn kind(f: &Function) -> &'static str {
    match f.kind {
        FunctionKind::Procedure => "procedure",
        FunctionKind::Aggregate => "aggregate",
        _ => "function",
    }
}

pub(super) fn create_function(ctx: &Context, f: &Function) -> Step {
    Builder::new(
        Rank::CREATE_FUNCTION,
        format!("create {} {}.{}({})", kind(f), f.schema, f.name, f.arguments),
        vec![render::create_function(f)],
    )
    .rollback(vec![render::drop_function(f)])
    .hazards(escalation::function_hazards(ctx, f, None))
    .provides([ObjectKey::func(&f.schema, &f.name)])
    .needs_new(
        ctx.refs(f.result.as_deref().unwrap_or(""), true)
            .into_iter()
            .chain(ctx.refs(&f.arguments, true)),
    )
    .needs_new(body_refs(ctx, f, true))
    .lock(Lock::None)
    .done()
}

/// What a SQL-standard body or an aggregate's definition names (not the function itself):
/// created before it, dropped after.
fn body_refs(ctx: &Context, f: &Function, new: bool) -> BTreeSet<ObjectKey> {
    let mut r = f.sql_body().map(|b| ctx.refs(b, new)).unwrap_or_default();
    r.remove(&ObjectKey::func(&f.schema, &f.name));
    r
}

pub(super) fn replace_function(ctx: &Context, from: &Function, to: &Function) -> Step {
    Builder::new(
        Rank::CREATE_FUNCTION,
        format!("replace {} {}.{}({})", kind(to), to.schema, to.name, to.arguments),
        vec![render::create_function(to)],
    )
    .rollback(vec![render::create_function(from)])
    .hazards(escalation::function_hazards(ctx, to, Some(from)))
    .provides([ObjectKey::func(&to.schema, &to.name)])
    .needs_new(body_refs(ctx, to, true))
    .lock(Lock::None)
    .done()
}

pub(super) fn drop_function(ctx: &Context, f: &Function) -> Step {
    Builder::new(
        Rank::DROP_FUNCTION,
        format!("drop {} {}.{}({})", kind(f), f.schema, f.name, f.arguments),
        vec![render::drop_function(f)],
    )
    .needs_old(body_refs(ctx, f, false))
    .needs_old(
        ctx.refs(f.result.as_deref().unwrap_or(""), false)
            .into_iter()
            .chain(ctx.refs(&f.arguments, false)),
    )
    .needs_old(ctx.recorded(&Dependent::Function {
        name: QualifiedName::new(&f.schema, &f.name),
        arguments: f.arguments.clone(),
    }))
    .rollback(vec![render::create_function(f)])
    .removes([ObjectKey::func(&f.schema, &f.name)])
    .lock(Lock::None)
    .done()
}
