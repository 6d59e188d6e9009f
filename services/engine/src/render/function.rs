//! Functions, procedures and aggregates: their definition is already a `CREATE OR REPLACE`
//! statement (`pg_get_functiondef`, or the aggregate's as the catalog query spells it).

use super::arguments::arguments;
use super::ident::qualified;
use crate::model::{Function, FunctionKind};

pub fn create_function(f: &Function) -> String {
    f.definition.trim_end().to_string()
}

pub fn drop_function(f: &Function) -> String {
    let (kind, arguments_text) = match f.kind {
        FunctionKind::Procedure => ("PROCEDURE", f.arguments.as_str()),
        // An aggregate without arguments is `name(*)`.
        FunctionKind::Aggregate if f.arguments.is_empty() => ("AGGREGATE", "*"),
        FunctionKind::Aggregate => ("AGGREGATE", f.arguments.as_str()),
        _ => ("FUNCTION", f.arguments.as_str()),
    };
    format!(
        "DROP {kind} {}({})",
        qualified(&f.schema, &f.name),
        arguments(arguments_text)
    )
}
