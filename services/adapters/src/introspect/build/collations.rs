//! Reads `collations.sql`: collations made with `CREATE COLLATION`, with their provider,
//! locale and comment.

use schemareg_engine::{Collation, CollationProvider};

use super::{Builder, IntrospectError, Rows, decode, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "collations";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
        let provider: String = get(&r, q, "provider")?;
        let provider = match provider.as_str() {
            "c" => Some(CollationProvider::Libc),
            "i" => Some(CollationProvider::Icu),
            _ => None,
        };
        b.snapshot.collations.push(Collation {
            schema: get(&r, q, "schema")?,
            name: get(&r, q, "name")?,
            provider: decode(q, "collation provider", provider)?,
            locale: get(&r, q, "locale")?,
            lc_collate: get(&r, q, "lc_collate")?,
            lc_ctype: get(&r, q, "lc_ctype")?,
            deterministic: get(&r, q, "deterministic")?,
            comment: get(&r, q, "comment")?,
        });
    }
    Ok(())
}
