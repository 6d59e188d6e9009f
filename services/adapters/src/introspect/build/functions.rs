//! Reads `functions.sql`: functions, procedures, window functions and aggregates (extension
//! members excluded) with their identity arguments, result, language, full definition and
//! comment.

use schemareg_engine::{Function, FunctionKind};

use super::{Builder, IntrospectError, Rows, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "functions";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
        let kind: String = get(&r, q, "kind")?;
        b.snapshot.functions.push(Function {
            schema: get(&r, q, "schema")?,
            name: get(&r, q, "name")?,
            arguments: get(&r, q, "arguments")?,
            kind: match kind.as_str() {
                "p" => FunctionKind::Procedure,
                "w" => FunctionKind::Window,
                "a" => FunctionKind::Aggregate,
                _ => FunctionKind::Function,
            },
            result: get(&r, q, "result")?,
            language: get(&r, q, "language")?,
            definition: get(&r, q, "definition")?,
            comment: get(&r, q, "comment")?,
        });
    }
    Ok(())
}
