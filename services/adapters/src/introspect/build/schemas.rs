//! Reads `schemas.sql`: every schema that is neither PostgreSQL's own nor an extension's, with
//! its comment.

use schemareg_engine::Schema;

use super::{Builder, IntrospectError, Rows, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "schemas";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
        b.snapshot.schemas.push(Schema {
            name: get(&r, q, "name")?,
            comment: get(&r, q, "comment")?,
        });
    }
    Ok(())
}
