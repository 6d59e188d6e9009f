//! Reads `domains.sql`: domains (extension members excluded) with their base type, NOT NULL,
//! default, collation, comment and check constraints, whose names and definitions come as two
//! parallel arrays.

use schemareg_engine::{Domain, DomainCheck};

use super::{Builder, IntrospectError, Rows, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "domains";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
        let names: Vec<String> = get(&r, q, "check_names")?;
        let defs: Vec<String> = get(&r, q, "check_definitions")?;
        b.snapshot.domains.push(Domain {
            schema: get(&r, q, "schema")?,
            name: get(&r, q, "name")?,
            base_type: get(&r, q, "base_type")?,
            not_null: get(&r, q, "not_null")?,
            default: get(&r, q, "default")?,
            collation: get(&r, q, "collation")?,
            checks: names
                .into_iter()
                .zip(defs)
                .map(|(name, definition)| DomainCheck { name, definition })
                .collect(),
            comment: get(&r, q, "comment")?,
        });
    }
    Ok(())
}
