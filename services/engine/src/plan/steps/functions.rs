//! Steps for functions and procedures.

use super::*;
use crate::render;

fn kind(f: &Function) -> &'static str {
    if f.kind == FunctionKind::Procedure {
        "procedure"
    } else {
        "function"
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
    .lock(Lock::None)
    .done()
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
    .lock(Lock::None)
    .done()
}

pub(super) fn drop_function(f: &Function) -> Step {
    Builder::new(
        Rank::DROP_FUNCTION,
        format!("drop {} {}.{}({})", kind(f), f.schema, f.name, f.arguments),
        vec![render::drop_function(f)],
    )
    .rollback(vec![render::create_function(f)])
    .removes([ObjectKey::func(&f.schema, &f.name)])
    .lock(Lock::None)
    .done()
}
