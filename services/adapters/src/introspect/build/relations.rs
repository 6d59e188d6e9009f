//! Reads `relations.sql`: one row per table, partitioned table, view, materialized view and
//! composite type (extension members excluded), with what belongs to the relation itself
//! (kind, options, row security, partitioning, parents, view definition, comment). Each is
//! recorded by oid and (schema, name) so that the later queries (columns, constraints, indexes,
//! triggers, policies) can add to it.

use schemareg_engine::{
    CompositeType, GrantKind, MaterializedView, PartitionOf, QualifiedName, ReplicaIdentity, RowSecurity, Table,
    Unmodelled, View,
};

use super::{Builder, IntrospectError, Relation, Row, Rows, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "relations";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
        let oid: u32 = get(&r, q, "oid")?;
        let schema: String = get(&r, q, "schema")?;
        let name: String = get(&r, q, "name")?;
        let kind: String = get(&r, q, "kind")?;
        let comment: Option<String> = get(&r, q, "comment")?;
        let mut options: Vec<String> = get(&r, q, "options")?;
        options.sort();
        let owner: String = get(&r, q, "owner")?;
        if kind == "f" {
            b.snapshot.unmodelled.push(Unmodelled {
                kind: "foreign table".into(),
                schema: Some(schema),
                name,
            });
            continue;
        }
        if let Some(acl) = get::<Option<Vec<String>>>(&r, q, "acl")? {
            let grants = super::acl::grants(GrantKind::Table, &schema, &name, None, &owner, &acl);
            b.snapshot.grants.extend(grants);
        }
        let rel = match kind.as_str() {
            "r" | "p" => {
                let is_partition: bool = get(&r, q, "is_partition")?;
                let parent_schemas: Vec<String> = get(&r, q, "parent_schemas")?;
                let parent_names: Vec<String> = get(&r, q, "parent_names")?;
                let mut parents: Vec<QualifiedName> = parent_schemas
                    .into_iter()
                    .zip(parent_names)
                    .map(|(s, n)| QualifiedName::new(s, n))
                    .collect();
                let partition_of = if is_partition && !parents.is_empty() {
                    Some(PartitionOf {
                        parent: parents.remove(0),
                        bound: get(&r, q, "partition_bound")?,
                    })
                } else {
                    None
                };
                Relation::Table(Box::new(Table {
                    schema: schema.clone(),
                    name: name.clone(),
                    renamed_from: None,
                    columns: Vec::new(),
                    primary_key: None,
                    unique_constraints: Vec::new(),
                    check_constraints: Vec::new(),
                    exclusion_constraints: Vec::new(),
                    foreign_keys: Vec::new(),
                    indexes: Vec::new(),
                    triggers: Vec::new(),
                    row_security: RowSecurity {
                        enabled: get(&r, q, "rls_enabled")?,
                        forced: get(&r, q, "rls_forced")?,
                    },
                    policies: Vec::new(),
                    partition_by: get(&r, q, "partition_by")?,
                    partition_of,
                    inherits: parents,
                    unlogged: get(&r, q, "unlogged")?,
                    replica_identity: replica_identity(&r)?,
                    options,
                    comment,
                }))
            }
            "v" => Relation::View(View {
                schema: schema.clone(),
                name: name.clone(),
                definition: get::<Option<String>>(&r, q, "view_definition")?.unwrap_or_default(),
                columns: Vec::new(),
                options,
                triggers: Vec::new(),
                comment,
            }),
            "m" => Relation::Materialized(MaterializedView {
                schema: schema.clone(),
                name: name.clone(),
                definition: get::<Option<String>>(&r, q, "view_definition")?.unwrap_or_default(),
                columns: Vec::new(),
                indexes: Vec::new(),
                options,
                comment,
            }),
            "c" => Relation::Composite(CompositeType {
                schema: schema.clone(),
                name: name.clone(),
                attributes: Vec::new(),
                comment,
            }),
            other => {
                return Err(IntrospectError::Decode {
                    query: q,
                    message: format!("relation kind {other}"),
                });
            }
        };
        b.add_relation(oid, schema, name, owner, rel);
    }
    Ok(())
}

/// A table's replica identity, when it is not the default.
fn replica_identity(r: &Row) -> Result<Option<ReplicaIdentity>, IntrospectError> {
    let q = QUERY;
    let kind: String = get(r, q, "replica_identity")?;
    Ok(match kind.as_str() {
        "n" => Some(ReplicaIdentity::Nothing),
        "f" => Some(ReplicaIdentity::Full),
        "i" => get::<Option<String>>(r, q, "replica_index")?.map(ReplicaIdentity::Index),
        _ => None,
    })
}
