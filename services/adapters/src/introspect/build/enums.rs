//! Reads `enums.sql`: enum types (extension members excluded) with their labels in sort order
//! and their comments.

use schemareg_engine::EnumType;

use super::{Builder, IntrospectError, Rows, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "enums";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
        b.snapshot.enums.push(EnumType {
            schema: get(&r, q, "schema")?,
            name: get(&r, q, "name")?,
            labels: get(&r, q, "labels")?,
            comment: get(&r, q, "comment")?,
        });
    }
    Ok(())
}
