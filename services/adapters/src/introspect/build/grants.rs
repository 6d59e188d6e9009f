//! Reads `grants.sql`: per object and grantee, the privileges granted beyond PostgreSQL's
//! defaults (and which of them with grant option) and the defaults revoked.

use schemareg_engine::{Grant, GrantKind, Privilege};

use super::{Builder, IntrospectError, Row, Rows, decode, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "grants";

fn kind(text: &str) -> Option<GrantKind> {
    Some(match text {
        "schema" => GrantKind::Schema,
        "table" => GrantKind::Table,
        "column" => GrantKind::Column,
        "sequence" => GrantKind::Sequence,
        "function" => GrantKind::Function,
        "procedure" => GrantKind::Procedure,
        "type" => GrantKind::Type,
        _ => return None,
    })
}

/// Privileges by keyword; one this build does not know (a newer server's) is left out.
pub(super) fn privileges(r: &Row, col: &str) -> Result<Vec<Privilege>, IntrospectError> {
    let words: Vec<String> = get(r, QUERY, col)?;
    Ok(words
        .iter()
        .filter_map(|w| {
            let p = Privilege::from_keyword(w);
            if p.is_none() {
                tracing::warn!(privilege = %w, "a privilege schemareg does not know is left out");
            }
            p
        })
        .collect())
}

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
        let k: String = get(&r, q, "kind")?;
        let g = Grant {
            kind: decode(q, "grant kind", kind(&k))?,
            schema: get(&r, q, "schema")?,
            name: get(&r, q, "name")?,
            arguments: get(&r, q, "arguments")?,
            column: get(&r, q, "column")?,
            grantee: get(&r, q, "grantee")?,
            privileges: privileges(&r, "privileges")?,
            grantable: privileges(&r, "grantable")?,
            revoked: privileges(&r, "revoked")?,
        };
        if !g.is_empty() {
            b.snapshot.grants.push(g);
        }
    }
    Ok(())
}
