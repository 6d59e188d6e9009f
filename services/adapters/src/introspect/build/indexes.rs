//! Reads `indexes.sql`: the indexes of tables and materialized views that do not implement a
//! constraint, each added to the relation read by `relations.sql` that it belongs to. Their
//! keys come as pg_index holds them (column numbers, operator classes, collations, sort
//! options) and are named here: columns from the columns read, non-default operator classes
//! and collations from `opclass_names.sql` and `collation_names.sql`. Predicates of the
//! commonest shapes come as node trees and are written here too.

use std::collections::HashMap;

use schemareg_engine::{Index, IndexKey};

use super::{Builder, IntrospectError, Relation, Row, Rows, field_named, get};

/// The query of the indexes.
pub(super) const QUERY: &str = "indexes";
/// The query of the operator classes that are not their type's default.
pub(super) const OPCLASSES_QUERY: &str = "opclass_names";
/// The query of every collation.
pub(super) const COLLATIONS_QUERY: &str = "collation_names";

/// The collation of expressions (`DEFAULT`): a key's collation other than it is named.
const DEFAULT_COLLATION: u32 = 100;

/// Operator classes (non-default ones) and collations by oid, qualified and quoted.
pub(super) struct Names {
    opclasses: HashMap<u32, String>,
    pub(super) collations: HashMap<u32, String>,
}

impl Names {
    pub(super) fn read(opclasses: Rows, collations: Rows) -> Result<Names, IntrospectError> {
        let by_oid = |rows: Rows, q: &'static str| {
            rows.iter()
                .map(|r| Ok((get::<u32>(&r, q, "oid")?, get::<String>(&r, q, "name")?)))
                .collect::<Result<HashMap<_, _>, IntrospectError>>()
        };
        Ok(Names {
            opclasses: by_oid(opclasses, OPCLASSES_QUERY)?,
            collations: by_oid(collations, COLLATIONS_QUERY)?,
        })
    }
}

pub(super) fn add(b: &mut Builder, names: &Names, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    let relation = field_named(&rows, "relation");
    for r in rows.iter() {
        let Some(i) = b.find_oid(&r, q, relation)? else {
            continue;
        };
        let name: String = get(&r, q, "name")?;
        let (keys, include) = keys(b, names, i, &r).map_err(|message| IntrospectError::Decode {
            query: q,
            message: format!("index {name}: {message}"),
        })?;
        let predicate = match get::<Option<String>>(&r, q, "predicate_tree")? {
            Some(tree) => Some(predicate(b, i, &tree).map_err(|message| IntrospectError::Decode {
                query: q,
                message: format!("index {name}: predicate {tree}: {message}"),
            })?),
            None => get(&r, q, "predicate")?,
        };
        let mut options: Vec<String> = get(&r, q, "storage")?;
        options.sort();
        let ix = Index {
            name,
            unique: get(&r, q, "is_unique")?,
            nulls_not_distinct: get(&r, q, "nulls_not_distinct")?,
            method: get(&r, q, "method")?,
            keys,
            include,
            predicate,
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

/// An index's key columns or expressions (with operator class, collation other than the
/// column's, sort options), then its INCLUDE columns.
fn keys(b: &Builder, names: &Names, i: usize, r: &Row) -> Result<(Vec<IndexKey>, Vec<String>), String> {
    let q = QUERY;
    let field = |e: IntrospectError| e.to_string();
    let key_count: i32 = get(r, q, "key_count").map_err(field)?;
    let numbers: Vec<i16> = get(r, q, "column_numbers").map_err(field)?;
    let opclasses: Vec<u32> = get(r, q, "opclasses").map_err(field)?;
    let collations: Vec<u32> = get(r, q, "collations").map_err(field)?;
    let sort_options: Vec<i16> = get(r, q, "sort_options").map_err(field)?;
    let mut expressions = get::<Option<Vec<String>>>(r, q, "expressions")
        .map_err(field)?
        .unwrap_or_default()
        .into_iter();
    let mut keys = Vec::new();
    let mut include = Vec::new();
    for (k, number) in numbers.iter().enumerate() {
        let (expression, column_collation) = if *number == 0 {
            let e = expressions.next().ok_or("fewer expressions than expression keys")?;
            (e, DEFAULT_COLLATION)
        } else {
            let (column, collation) = b
                .column(i, *number)
                .ok_or_else(|| format!("no column number {number}"))?;
            (b.quoter.ident(column).into_owned(), collation)
        };
        if k >= key_count as usize {
            include.push(expression);
            continue;
        }
        let collation = collations.get(k).copied().unwrap_or(0);
        let option = sort_options.get(k).copied().unwrap_or(0);
        keys.push(IndexKey {
            expression,
            opclass: opclasses.get(k).and_then(|o| names.opclasses.get(o)).cloned(),
            collation: if collation != 0 && collation != column_collation {
                Some(
                    names
                        .collations
                        .get(&collation)
                        .cloned()
                        .ok_or_else(|| format!("no collation {collation}"))?,
                )
            } else {
                None
            },
            descending: option & 1 != 0,
            nulls_first: option & 2 != 0,
        });
    }
    Ok((keys, include))
}

/// A predicate the query sent as its node tree (see `indexes.sql`): a boolean column, its
/// negation, or a column `IS [NOT] NULL`, written as `pg_get_expr` writes it.
fn predicate(b: &Builder, i: usize, tree: &str) -> Result<String, String> {
    let number: i16 = tree
        .split(":varattno ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .ok_or("no column number")?;
    let (column, _) = b
        .column(i, number)
        .ok_or_else(|| format!("no column number {number}"))?;
    let column = b.quoter.ident(column);
    Ok(if tree.starts_with("{NULLTEST ") {
        // NullTestType: 0 IS_NULL, 1 IS_NOT_NULL.
        let not = if tree.contains(" :nulltesttype 1 ") { "NOT " } else { "" };
        format!("({column} IS {not}NULL)")
    } else if tree.starts_with("{BOOLEXPR ") {
        format!("(NOT {column})")
    } else {
        column.into_owned()
    })
}
