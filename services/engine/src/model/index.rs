use serde::{Deserialize, Serialize};

use super::is_false;

/// An index that does not implement a constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub name: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// `UNIQUE NULLS NOT DISTINCT` (PostgreSQL 15+).
    #[serde(default, skip_serializing_if = "is_false")]
    pub nulls_not_distinct: bool,
    /// The access method: `btree`, `hash`, `gin`, `gist`, `brin`, `spgist`, …
    pub method: String,
    /// The key columns or expressions, in order.
    pub keys: Vec<IndexKey>,
    /// `INCLUDE (…)` columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// The predicate of a partial index, as `pg_get_expr` prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// Storage parameters (`fillfactor=70`), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One key of an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IndexKey {
    /// A column name (quoted where needed) or an expression, as `pg_get_indexdef` prints it
    /// (`lower((email)::text)`).
    pub expression: String,
    /// An operator class other than the type's default, schema-qualified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
    /// A collation other than the column's, schema-qualified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub descending: bool,
    /// Whether NULLs sort first (the default for descending keys).
    #[serde(default, skip_serializing_if = "is_false")]
    pub nulls_first: bool,
}
