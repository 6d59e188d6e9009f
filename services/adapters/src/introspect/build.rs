//! Catalog rows turned into the snapshot model.

use std::collections::HashMap;

use schemareg_engine::canonical::normalize;
use schemareg_engine::*;
use tokio_postgres::Row;
use tokio_postgres::types::FromSql;

use super::{CatalogRows, IntrospectError};

type Key = (String, String);

/// An index's key columns and INCLUDE columns, by (schema, table, index).
type IndexColumns = HashMap<(String, String, String), (Vec<IndexKey>, Vec<String>)>;

fn get<'a, T: FromSql<'a>>(row: &'a Row, query: &'static str, col: &str) -> Result<T, IntrospectError> {
    row.try_get(col).map_err(|e| IntrospectError::Decode {
        query,
        message: format!("{col}: {e}"),
    })
}

fn decode<T>(query: &'static str, what: &str, v: Option<T>) -> Result<T, IntrospectError> {
    v.ok_or_else(|| IntrospectError::Decode {
        query,
        message: format!("unknown {what}"),
    })
}

fn sequence_options(row: &Row, q: &'static str, type_col: &str) -> Result<SequenceOptions, IntrospectError> {
    Ok(SequenceOptions {
        data_type: get(row, q, type_col)?,
        start: get(row, q, "seqstart")?,
        increment: get(row, q, "seqincrement")?,
        min_value: get(row, q, "seqmin")?,
        max_value: get(row, q, "seqmax")?,
        cache: get(row, q, "seqcache")?,
        cycle: get(row, q, "seqcycle")?,
    })
}

enum Relation {
    Table(Box<Table>),
    View(View),
    Materialized(MaterializedView),
    Composite(CompositeType),
}

pub(super) fn snapshot(rows: &mut CatalogRows) -> Result<Snapshot, IntrospectError> {
    let mut s = Snapshot::default();

    let q = "schemas";
    for r in rows.take(q) {
        s.schemas.push(Schema {
            name: get(&r, q, "name")?,
            comment: get(&r, q, "comment")?,
        });
    }
    let q = "extensions";
    for r in rows.take(q) {
        s.extensions.push(Extension {
            name: get(&r, q, "name")?,
            schema: get(&r, q, "schema")?,
        });
    }
    let q = "enums";
    for r in rows.take(q) {
        s.enums.push(EnumType {
            schema: get(&r, q, "schema")?,
            name: get(&r, q, "name")?,
            labels: get(&r, q, "labels")?,
            comment: get(&r, q, "comment")?,
        });
    }
    let q = "domains";
    for r in rows.take(q) {
        let names: Vec<String> = get(&r, q, "check_names")?;
        let defs: Vec<String> = get(&r, q, "check_definitions")?;
        s.domains.push(Domain {
            schema: get(&r, q, "schema")?,
            name: get(&r, q, "name")?,
            base_type: get(&r, q, "base_type")?,
            not_null: get(&r, q, "not_null")?,
            default: get(&r, q, "default")?,
            collation: get(&r, q, "collation")?,
            checks: names
                .into_iter()
                .zip(defs)
                .map(|(name, definition)| DomainCheck { name, definition })
                .collect(),
            comment: get(&r, q, "comment")?,
        });
    }

    // Relations, then everything that hangs off them, found by (schema, name).
    let mut relations: Vec<Relation> = Vec::new();
    let mut index: HashMap<Key, usize> = HashMap::new();
    let q = "relations";
    for r in rows.take(q) {
        let schema: String = get(&r, q, "schema")?;
        let name: String = get(&r, q, "name")?;
        let kind: String = get(&r, q, "kind")?;
        let comment: Option<String> = get(&r, q, "comment")?;
        let mut options: Vec<String> = get(&r, q, "options")?;
        options.sort();
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
        index.insert((schema, name), relations.len());
        relations.push(rel);
    }
    let find = |r: &Row, q: &'static str| -> Result<Option<usize>, IntrospectError> {
        let key: Key = (get(r, q, "schema")?, get(r, q, "relation")?);
        Ok(index.get(&key).copied())
    };

    let q = "columns";
    for r in rows.take(q) {
        let Some(i) = find(&r, q)? else { continue };
        let name: String = get(&r, q, "name")?;
        let data_type: String = get(&r, q, "type")?;
        let comment: Option<String> = get(&r, q, "comment")?;
        let collation: Option<String> = get(&r, q, "collation")?;
        match &mut relations[i] {
            Relation::Table(t) => {
                let identity: String = get(&r, q, "identity")?;
                let identity = match identity.as_str() {
                    "" => None,
                    code => Some(Identity {
                        generation: if code == "a" {
                            IdentityGeneration::Always
                        } else {
                            IdentityGeneration::ByDefault
                        },
                        sequence: sequence_options(&r, q, "seq_type")?,
                    }),
                };
                t.columns.push(Column {
                    name,
                    data_type,
                    not_null: get(&r, q, "not_null")?,
                    default: get(&r, q, "default")?,
                    identity,
                    generated: get(&r, q, "generated")?,
                    collation,
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
    }

    let q = "sequences";
    for r in rows.take(q) {
        let deptype: Option<String> = get(&r, q, "deptype")?;
        if deptype.as_deref() == Some("i") {
            continue; // an identity column's sequence: part of the column
        }
        let owned_by = match deptype {
            Some(_) => Some(ColumnRef {
                schema: get(&r, q, "owner_schema")?,
                table: get(&r, q, "owner_table")?,
                column: get(&r, q, "owner_column")?,
            }),
            None => None,
        };
        s.sequences.push(Sequence {
            schema: get(&r, q, "schema")?,
            name: get(&r, q, "name")?,
            options: sequence_options(&r, q, "data_type")?,
            owned_by,
            comment: get(&r, q, "comment")?,
        });
    }

    let q = "constraints";
    for r in rows.take(q) {
        let Some(i) = find(&r, q)? else { continue };
        let Relation::Table(t) = &mut relations[i] else {
            continue;
        };
        let name: String = get(&r, q, "name")?;
        let kind: String = get(&r, q, "kind")?;
        let definition: String = get(&r, q, "definition")?;
        let columns: Vec<String> = get(&r, q, "columns")?;
        let comment: Option<String> = get(&r, q, "comment")?;
        let deferrable: bool = get(&r, q, "deferrable")?;
        let initially_deferred: bool = get(&r, q, "initially_deferred")?;
        match kind.as_str() {
            "p" => {
                t.primary_key = Some(PrimaryKey {
                    name,
                    columns,
                    definition,
                    comment,
                })
            }
            "u" => t.unique_constraints.push(UniqueConstraint {
                name,
                columns,
                nulls_not_distinct: get(&r, q, "nulls_not_distinct")?,
                deferrable,
                initially_deferred,
                definition,
                comment,
            }),
            "c" => t.check_constraints.push(CheckConstraint {
                name,
                expression: get::<Option<String>>(&r, q, "expression")?.unwrap_or_default(),
                no_inherit: get(&r, q, "no_inherit")?,
                validated: get(&r, q, "validated")?,
                definition,
                comment,
            }),
            "x" => t.exclusion_constraints.push(ExclusionConstraint {
                name,
                deferrable,
                initially_deferred,
                definition,
                comment,
            }),
            "f" => {
                let on_update: String = get(&r, q, "on_update")?;
                let on_delete: String = get(&r, q, "on_delete")?;
                let match_type: String = get(&r, q, "match_type")?;
                t.foreign_keys.push(ForeignKey {
                    name,
                    columns,
                    references: QualifiedName::new(
                        get::<String>(&r, q, "ref_schema")?,
                        get::<String>(&r, q, "ref_table")?,
                    ),
                    referenced_columns: get(&r, q, "ref_columns")?,
                    on_update: decode(q, "action", ForeignKeyAction::from_catalog(&on_update))?,
                    on_delete: decode(q, "action", ForeignKeyAction::from_catalog(&on_delete))?,
                    match_type: decode(q, "match type", ForeignKeyMatch::from_catalog(&match_type))?,
                    deferrable,
                    initially_deferred,
                    validated: get(&r, q, "validated")?,
                    definition,
                    comment,
                })
            }
            other => {
                return Err(IntrospectError::Decode {
                    query: q,
                    message: format!("constraint kind {other}"),
                });
            }
        }
    }

    // Index keys first, by (schema, table, index), then the indexes that own them.
    let q = "index_keys";
    let mut index_keys: IndexColumns = HashMap::new();
    for r in rows.take(q) {
        let key = (get(&r, q, "schema")?, get(&r, q, "relation")?, get(&r, q, "index")?);
        let entry = index_keys.entry(key).or_default();
        let expression: String = get(&r, q, "expression")?;
        if get(&r, q, "is_key")? {
            let option: i32 = get(&r, q, "option")?;
            entry.0.push(IndexKey {
                expression,
                opclass: get(&r, q, "opclass")?,
                collation: get(&r, q, "collation")?,
                descending: option & 1 != 0,
                nulls_first: option & 2 != 0,
            });
        } else {
            entry.1.push(expression);
        }
    }
    let q = "indexes";
    for r in rows.take(q) {
        let Some(i) = find(&r, q)? else { continue };
        let name: String = get(&r, q, "name")?;
        let key = (get(&r, q, "schema")?, get(&r, q, "relation")?, name.clone());
        let (keys, include) = index_keys.remove(&key).unwrap_or_default();
        let mut options: Vec<String> = get(&r, q, "storage")?;
        options.sort();
        let ix = Index {
            name,
            unique: get(&r, q, "is_unique")?,
            nulls_not_distinct: get(&r, q, "nulls_not_distinct")?,
            method: get(&r, q, "method")?,
            keys,
            include,
            predicate: get(&r, q, "predicate")?,
            options,
            comment: get(&r, q, "comment")?,
        };
        match &mut relations[i] {
            Relation::Table(t) => t.indexes.push(ix),
            Relation::Materialized(m) => m.indexes.push(ix),
            _ => {}
        }
    }

    let q = "functions";
    for r in rows.take(q) {
        let kind: String = get(&r, q, "kind")?;
        s.functions.push(Function {
            schema: get(&r, q, "schema")?,
            name: get(&r, q, "name")?,
            arguments: get(&r, q, "arguments")?,
            kind: match kind.as_str() {
                "p" => FunctionKind::Procedure,
                "w" => FunctionKind::Window,
                _ => FunctionKind::Function,
            },
            result: get(&r, q, "result")?,
            language: get(&r, q, "language")?,
            definition: get(&r, q, "definition")?,
            comment: get(&r, q, "comment")?,
        });
    }

    let q = "triggers";
    for r in rows.take(q) {
        let Some(i) = find(&r, q)? else { continue };
        let enabled: String = get(&r, q, "enabled")?;
        let trigger = Trigger {
            name: get(&r, q, "name")?,
            definition: get(&r, q, "definition")?,
            enabled: decode(q, "trigger state", TriggerEnabled::from_catalog(&enabled))?,
            comment: get(&r, q, "comment")?,
        };
        match &mut relations[i] {
            Relation::Table(t) => t.triggers.push(trigger),
            Relation::View(v) => v.triggers.push(trigger),
            _ => {}
        }
    }

    let q = "policies";
    for r in rows.take(q) {
        let Some(i) = find(&r, q)? else { continue };
        let Relation::Table(t) = &mut relations[i] else {
            continue;
        };
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

    for rel in relations {
        match rel {
            Relation::Table(t) => s.tables.push(*t),
            Relation::View(v) => s.views.push(v),
            Relation::Materialized(m) => s.materialized_views.push(m),
            Relation::Composite(c) => s.composite_types.push(c),
        }
    }
    normalize(&mut s);
    Ok(s)
}
