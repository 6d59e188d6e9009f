//! Reads `policies.sql`: row-level security policies with their command, mode, roles, USING
//! and WITH CHECK expressions and comment, each added to the table read by `relations.sql`
//! that it is on.

use schemareg_engine::{Policy, PolicyCommand};

use super::{Builder, IntrospectError, Rows, decode, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "policies";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
        let Some(t) = b.table(&r, q)? else { continue };
        let command: String = get(&r, q, "command")?;
        t.policies.push(Policy {
            name: get(&r, q, "name")?,
            command: decode(q, "policy command", PolicyCommand::from_catalog(&command))?,
            permissive: get(&r, q, "permissive")?,
            roles: get(&r, q, "roles")?,
            using: get(&r, q, "using")?,
            with_check: get(&r, q, "with_check")?,
            comment: get(&r, q, "comment")?,
        });
    }
    Ok(())
}
