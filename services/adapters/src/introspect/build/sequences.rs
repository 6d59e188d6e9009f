//! Reads `sequences.sql`: sequences (extension members excluded) with their options, their
//! comment and the column owning them. An identity column's sequence is skipped: it is part of
//! the column (see `columns.rs`).

use schemareg_engine::{ColumnRef, GrantKind, Identity, Sequence};
use tokio_postgres::Row;

use super::{Builder, IntrospectError, Relation, get, sequence_options};

/// The query this builder reads.
pub(super) const QUERY: &str = "sequences";

pub(super) fn add(b: &mut Builder, rows: Vec<Row>) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows {
        if let Some(acl) = get::<Option<Vec<String>>>(&r, q, "acl")? {
            let (schema, name, owner): (String, String, String) =
                (get(&r, q, "schema")?, get(&r, q, "name")?, get(&r, q, "owner")?);
            let grants = super::acl::grants(GrantKind::Sequence, &schema, &name, None, &owner, &acl);
            b.snapshot.grants.extend(grants);
        }
        let deptype: Option<String> = get(&r, q, "deptype")?;
        if deptype.as_deref() == Some("i") {
            // An identity column's sequence: part of the column.
            identity(b, &r)?;
            continue;
        }
        let owned_by = match deptype {
            Some(_) => Some(ColumnRef {
                schema: get(&r, q, "owner_schema")?,
                table: get(&r, q, "owner_table")?,
                column: get(&r, q, "owner_column")?,
            }),
            None => None,
        };
        if owned_by.is_none() {
            // A column's sequence follows its table's owner.
            let (schema, name, owner): (String, String, String) =
                (get(&r, q, "schema")?, get(&r, q, "name")?, get(&r, q, "owner")?);
            b.owned(schemareg_engine::OwnedKind::Sequence, &schema, &name, &owner);
        }
        b.snapshot.sequences.push(Sequence {
            schema: get(&r, q, "schema")?,
            name: get(&r, q, "name")?,
            options: sequence_options(&r, q, "data_type")?,
            owned_by,
            comment: get(&r, q, "comment")?,
        });
    }
    Ok(())
}

/// Gives an identity column (read by the columns query) its sequence's options.
fn identity(b: &mut Builder, r: &Row) -> Result<(), IntrospectError> {
    let q = QUERY;
    let column: String = get(r, q, "owner_column")?;
    let Some(i) = b.lookup(get(r, q, "owner_schema")?, get(r, q, "owner_table")?) else {
        return Ok(());
    };
    let Some(generation) = b.identities.remove(&(i, column.clone())) else {
        return Ok(());
    };
    let name: String = get(r, q, "name")?;
    let table: String = get(r, q, "owner_table")?;
    let default = format!("{table}_{column}_seq");
    if let Relation::Table(t) = &mut b.relations[i]
        && let Some(c) = t.columns.iter_mut().find(|c| c.name == column)
    {
        c.identity = Some(Identity {
            generation,
            sequence: sequence_options(r, q, "data_type")?,
            sequence_name: (name != default).then_some(name),
        });
    }
    Ok(())
}
