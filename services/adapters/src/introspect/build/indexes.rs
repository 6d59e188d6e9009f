//! Reads `index_keys.sql` and `indexes.sql`: the indexes of tables and materialized views that
//! do not implement a constraint. The key columns or expressions (with operator class,
//! collation and sort options) and INCLUDE columns come first, one row per position, gathered
//! by (schema, table, index); then each index takes its own and is added to the relation read
//! by `relations.sql` that it belongs to.

use std::collections::HashMap;

use schemareg_engine::{Index, IndexKey};
use tokio_postgres::Row;

use super::{Builder, IntrospectError, Relation, get};

/// The query of the indexes' columns, read first.
pub(super) const KEYS_QUERY: &str = "index_keys";
/// The query of the indexes themselves.
pub(super) const QUERY: &str = "indexes";

/// An index's key columns and INCLUDE columns, by (schema, table, index).
type IndexColumns = HashMap<(String, String, String), (Vec<IndexKey>, Vec<String>)>;

pub(super) fn add(b: &mut Builder, key_rows: Vec<Row>, index_rows: Vec<Row>) -> Result<(), IntrospectError> {
    // Index keys first, by (schema, table, index), then the indexes that own them.
    let q = KEYS_QUERY;
    let mut index_keys: IndexColumns = HashMap::new();
    // The rows come in no order: each index's columns go in by position.
    let mut key_rows = key_rows
        .into_iter()
        .map(|r| Ok((get::<i32>(&r, q, "position")?, r)))
        .collect::<Result<Vec<_>, IntrospectError>>()?;
    key_rows.sort_by_key(|(position, _)| *position);
    for (_, r) in key_rows {
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
    let q = QUERY;
    for r in index_rows {
        let Some(i) = b.find(&r, q)? else { continue };
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
        match &mut b.relations[i] {
            Relation::Table(t) => t.indexes.push(ix),
            Relation::Materialized(m) => m.indexes.push(ix),
            _ => {}
        }
    }
    Ok(())
}
