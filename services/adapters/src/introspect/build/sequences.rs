//! Reads `sequences.sql`: sequences (extension members excluded) with their options, their
//! comment and the column owning them. An identity column's sequence is skipped: it is part of
//! the column (see `columns.rs`).

use schemareg_engine::{ColumnRef, GrantKind, Identity, Sequence};

use super::{Builder, IntrospectError, Relation, Row, Rows, get, sequence_options};

/// The query this builder reads.
pub(super) const QUERY: &str = "sequences";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
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
            Some(_) => Some(owner(b, &r)?),
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

/// The column owning a sequence: named by the server for a table of an extension, otherwise
/// from the table and columns read.
fn owner(b: &Builder, r: &Row) -> Result<ColumnRef, IntrospectError> {
    let q = QUERY;
    if let Some(names) = get::<Option<Vec<String>>>(r, q, "owner_names")? {
        let [schema, table, column] = <[String; 3]>::try_from(names).map_err(|_| IntrospectError::Decode {
            query: q,
            message: "owner_names: not a schema, table and column".into(),
        })?;
        return Ok(ColumnRef { schema, table, column });
    }
    let (i, column) = owner_read(b, r)?.ok_or_else(|| IntrospectError::Decode {
        query: q,
        message: format!(
            "sequence {}: its owning column is not one read",
            get::<String>(r, q, "name").unwrap_or_default()
        ),
    })?;
    let (schema, table) = b.relation_name(i);
    Ok(ColumnRef {
        schema: schema.to_string(),
        table: table.to_string(),
        column: column.to_string(),
    })
}

/// The relation read and the column of it that own a sequence, if they were read.
fn owner_read<'b>(b: &'b Builder, r: &Row) -> Result<Option<(usize, &'b str)>, IntrospectError> {
    let q = QUERY;
    let number: i32 = get(r, q, "owner_column_number")?;
    let oid: u32 = get(r, q, "owner_oid")?;
    Ok(i16::try_from(number).ok().and_then(|n| b.column_of(oid, n)))
}

/// Gives an identity column (read by the columns query) its sequence's options.
fn identity(b: &mut Builder, r: &Row) -> Result<(), IntrospectError> {
    let q = QUERY;
    let Some((i, column)) = owner_read(b, r)? else {
        return Ok(());
    };
    let column = column.to_string();
    let Some(generation) = b.identities.remove(&(i, column.clone())) else {
        return Ok(());
    };
    let name: String = get(r, q, "name")?;
    let table = b.relation_name(i).1;
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
