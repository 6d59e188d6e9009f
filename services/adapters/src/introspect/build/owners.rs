//! Reads `owners.sql`: the objects another role than the reading one owns.

use schemareg_engine::{OwnedKind, Owner};

use super::{Builder, IntrospectError, Rows, decode, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "owners";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
        let kind: String = get(&r, q, "kind")?;
        b.snapshot.owners.push(Owner {
            kind: decode(q, "owned kind", OwnedKind::ALL.into_iter().find(|k| k.name() == kind))?,
            schema: get(&r, q, "schema")?,
            name: get(&r, q, "name")?,
            arguments: get(&r, q, "arguments")?,
            owner: get(&r, q, "owner")?,
        });
    }
    Ok(())
}
