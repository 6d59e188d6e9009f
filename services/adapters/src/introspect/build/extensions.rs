//! Reads `extensions.sql`: the installed extensions and the schema holding their objects.

use schemareg_engine::Extension;

use super::{Builder, IntrospectError, Rows, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "extensions";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
        b.snapshot.extensions.push(Extension {
            name: get(&r, q, "name")?,
            schema: get(&r, q, "schema")?,
        });
    }
    Ok(())
}
