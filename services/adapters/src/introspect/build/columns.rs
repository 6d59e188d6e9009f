//! Reads `columns.sql`: the columns of every relation read by `relations.sql`, in physical
//! order. A table's columns carry NOT NULL, default, generation expression, collation and, for
//! an identity column, its generation and its sequence's options; views and materialized
//! views get name, type and comment; composite types get attributes.

use schemareg_engine::{
    Column, ColumnStorage, CompositeAttribute, Compression, GrantKind, IdentityGeneration, ViewColumn,
};

use super::indexes::Names;
use super::{Builder, Field, IntrospectError, Relation, Row, Rows, decode, field, field_named};

/// The query this builder reads.
pub(super) const QUERY: &str = "columns";

/// The columns of the query's rows, found once.
struct Fields {
    relation: Field,
    position: Field,
    name: Field,
    data_type: Field,
    comment: Field,
    collation: Field,
    type_collation: Field,
    acl: Field,
    identity: Field,
    storage: Field,
    compression: Field,
    not_null: Field,
    default: Field,
    generated: Field,
    statistics: Field,
}

impl Fields {
    fn of(rows: &Rows) -> Fields {
        let f = |name| field_named(rows, name);
        Fields {
            relation: f("relation"),
            position: f("position"),
            name: f("name"),
            data_type: f("type"),
            comment: f("comment"),
            collation: f("collation_oid"),
            type_collation: f("type_collation"),
            acl: f("acl"),
            identity: f("identity"),
            storage: f("storage"),
            compression: f("compression"),
            not_null: f("not_null"),
            default: f("default"),
            generated: f("generated"),
            statistics: f("statistics"),
        }
    }
}

pub(super) fn add(b: &mut Builder, names: &Names, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    let f = Fields::of(&rows);
    // The rows come in no order: each relation's columns go in by position.
    let mut placed = Vec::with_capacity(rows.len());
    for r in rows.iter() {
        let Some(i) = b.find_oid(&r, q, f.relation)? else {
            continue;
        };
        let position: i16 = field(&r, q, f.position)?;
        placed.push((i, position, r));
    }
    placed.sort_by_key(|(i, position, _)| (*i, *position));
    for group in placed.chunk_by(|x, y| x.0 == y.0) {
        let i = group[0].0;
        b.positions[i] = group.iter().map(|(_, position, _)| *position).collect();
        b.collations[i] = group
            .iter()
            .map(|(_, _, r)| field::<u32>(r, q, f.collation))
            .collect::<Result<_, _>>()?;
        match &mut b.relations[i] {
            Relation::Table(t) => t.columns.reserve_exact(group.len()),
            Relation::View(v) => v.columns.reserve_exact(group.len()),
            Relation::Materialized(m) => m.columns.reserve_exact(group.len()),
            Relation::Composite(c) => c.attributes.reserve_exact(group.len()),
        }
        for (_, _, r) in group {
            add_column(b, names, &f, i, r)?;
        }
    }
    Ok(())
}

/// One column (or attribute) of relation `i`, in position order.
fn add_column(b: &mut Builder, names: &Names, f: &Fields, i: usize, r: &Row) -> Result<(), IntrospectError> {
    let q = QUERY;
    let name: String = field(r, q, f.name)?;
    let data_type: String = field(r, q, f.data_type)?;
    let comment: Option<String> = field(r, q, f.comment)?;
    // A collation is named when it is not the type's.
    let collation_oid: u32 = field(r, q, f.collation)?;
    let collation = if collation_oid != 0 && collation_oid != field::<u32>(r, q, f.type_collation)? {
        Some(decode(q, "collation", names.collations.get(&collation_oid).cloned())?)
    } else {
        None
    };
    if let Some(acl) = field::<Option<Vec<String>>>(r, q, f.acl)? {
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
            let identity: String = field(r, q, f.identity)?;
            if !identity.is_empty() {
                // Its sequence's options are read with the sequences.
                let generation = if identity == "a" {
                    IdentityGeneration::Always
                } else {
                    IdentityGeneration::ByDefault
                };
                b.identities.insert((i, name.clone()), generation);
            }
            let storage: Option<String> = field(r, q, f.storage)?;
            let compression: Option<String> = field(r, q, f.compression)?;
            t.columns.push(Column {
                name,
                renamed_from: None,
                data_type,
                not_null: field(r, q, f.not_null)?,
                default: field(r, q, f.default)?,
                identity: None,
                generated: field(r, q, f.generated)?,
                collation,
                statistics: field(r, q, f.statistics)?,
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
