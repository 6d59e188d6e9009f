//! Reads `default_privileges.sql`: per role, schema, kind of object and grantee, what objects
//! created later get beyond PostgreSQL's defaults, and the defaults taken away.

use schemareg_engine::{DefaultObjects, DefaultPrivilege};

use super::grants::privileges;
use super::{Builder, IntrospectError, Rows, decode, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "default_privileges";

fn on(text: &str) -> Option<DefaultObjects> {
    DefaultObjects::ALL
        .into_iter()
        .find(|k| k.keyword().eq_ignore_ascii_case(text))
}

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
        let kind: String = get(&r, q, "on")?;
        let d = DefaultPrivilege {
            role: get(&r, q, "role")?,
            schema: get(&r, q, "schema")?,
            on: decode(q, "kind of object", on(&kind))?,
            grantee: get(&r, q, "grantee")?,
            privileges: privileges(&r, "privileges")?,
            grantable: privileges(&r, "grantable")?,
            revoked: privileges(&r, "revoked")?,
        };
        if !d.is_empty() {
            b.snapshot.default_privileges.push(d);
        }
    }
    Ok(())
}
