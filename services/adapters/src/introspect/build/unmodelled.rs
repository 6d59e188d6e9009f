//! Reads `unmodelled.sql`: objects of kinds snapshots do not model, by kind, schema and name.

use schemareg_engine::Unmodelled;

use super::{Builder, IntrospectError, Rows, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "unmodelled";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
        b.snapshot.unmodelled.push(Unmodelled {
            kind: get(&r, q, "kind")?,
            schema: get(&r, q, "schema")?,
            name: get(&r, q, "name")?,
        });
    }
    Ok(())
}
