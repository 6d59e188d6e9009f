//! Reads `columns.sql`: the columns of every relation read by `relations.sql`, in physical
//! order. A table's columns carry NOT NULL, default, generation expression, collation and, for
//! an identity column, its generation and its sequence's options; views and materialized
//! views get name, type and comment; composite types get attributes.

use schemareg_engine::{
    Column, ColumnStorage, CompositeAttribute, Compression, GrantKind, IdentityGeneration, ViewColumn,
};
use tokio_postgres::Row;

use super::{Builder, IntrospectError, Relation, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "columns";

pub(super) fn add(b: &mut Builder, rows: Vec<Row>) -> Result<(), IntrospectError> {
    let q = QUERY;
    // The rows come in no order: each relation's columns go in by position.
    let mut placed = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(i) = b.find(&r, q)? else { continue };
        let position: i16 = get(&r, q, "position")?;
        placed.push((i, position, r));
    }
    placed.sort_by_key(|(i, position, _)| (*i, *position));
    for group in placed.chunk_by(|x, y| x.0 == y.0) {
        let i = group[0].0;
        b.positions[i] = group.iter().map(|(_, position, _)| *position).collect();
        b.collations[i] = group
            .iter()
            .map(|(_, _, r)| get::<u32>(r, q, "collation_oid"))
            .collect::<Result<_, _>>()?;
        match &mut b.relations[i] {
            Relation::Table(t) => t.columns.reserve_exact(group.len()),
            Relation::View(v) => v.columns.reserve_exact(group.len()),
            Relation::Materialized(m) => m.columns.reserve_exact(group.len()),
            Relation::Composite(c) => c.attributes.reserve_exact(group.len()),
        }
        for (_, _, r) in group {
            add_column(b, i, r)?;
        }
    }
    Ok(())
}

/// One column (or attribute) of relation `i`, in position order.
fn add_column(b: &mut Builder, i: usize, r: &Row) -> Result<(), IntrospectError> {
    let q = QUERY;
    let name: String = get(r, q, "name")?;
    let data_type: String = get(r, q, "type")?;
    let comment: Option<String> = get(r, q, "comment")?;
    let collation: Option<String> = get(r, q, "collation")?;
    if let Some(acl) = get::<Option<Vec<String>>>(r, q, "acl")? {
        let (schema, table) = match &b.relations[i] {
            Relation::Table(t) => (t.schema.clone(), t.name.clone()),
            Relation::View(v) => (v.schema.clone(), v.name.clone()),
            Relation::Materialized(m) => (m.schema.clone(), m.name.clone()),
            Relation::Composite(_) => (String::new(), String::new()),
        };
        if !table.is_empty() {
            let grants = super::acl::grants(GrantKind::Column, &schema, &table, Some(&name), &b.owners[i], &acl);
            b.snapshot.grants.extend(grants);
        }
    }
    match &mut b.relations[i] {
        Relation::Table(t) => {
            let identity: String = get(r, q, "identity")?;
            if !identity.is_empty() {
                // Its sequence's options are read with the sequences.
                let generation = if identity == "a" {
                    IdentityGeneration::Always
                } else {
                    IdentityGeneration::ByDefault
                };
                b.identities.insert((i, name.clone()), generation);
            }
            let storage: Option<String> = get(r, q, "storage")?;
            let compression: Option<String> = get(r, q, "compression")?;
            t.columns.push(Column {
                name,
                renamed_from: None,
                data_type,
                not_null: get(r, q, "not_null")?,
                default: get(r, q, "default")?,
                identity: None,
                generated: get(r, q, "generated")?,
                collation,
                statistics: get(r, q, "statistics")?,
                storage: storage.as_deref().and_then(ColumnStorage::from_catalog),
                compression: match compression.as_deref() {
                    Some("l") => Some(Compression::Lz4),
                    Some("p") => Some(Compression::Pglz),
                    _ => None,
                },
                comment,
            });
        }
        Relation::View(v) => v.columns.push(ViewColumn {
            name,
            data_type,
            comment,
        }),
        Relation::Materialized(m) => m.columns.push(ViewColumn {
            name,
            data_type,
            comment,
        }),
        Relation::Composite(c) => c.attributes.push(CompositeAttribute {
            name,
            data_type,
            collation,
        }),
    }
    Ok(())
}
