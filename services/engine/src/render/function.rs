//! Functions and procedures: `pg_get_functiondef` is already a `CREATE OR REPLACE` statement.

use super::ident::qualified;
use crate::model::{Function, FunctionKind};

pub fn create_function(f: &Function) -> String {
    f.definition.trim_end().to_string()
}

pub fn drop_function(f: &Function) -> String {
    let kind = if f.kind == FunctionKind::Procedure {
        "PROCEDURE"
    } else {
        "FUNCTION"
    };
    format!("DROP {kind} {}({})", qualified(&f.schema, &f.name), f.arguments)
}
