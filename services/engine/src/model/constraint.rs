use serde::{Deserialize, Serialize};

use super::{QualifiedName, is_false};

/// A primary key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PrimaryKey {
    pub name: String,
    pub columns: Vec<String>,
    /// As `pg_get_constraintdef` prints it: `PRIMARY KEY (id)`.
    pub definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A unique constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UniqueConstraint {
    pub name: String,
    pub columns: Vec<String>,
    /// `UNIQUE NULLS NOT DISTINCT` (PostgreSQL 15+).
    #[serde(default, skip_serializing_if = "is_false")]
    pub nulls_not_distinct: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deferrable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub initially_deferred: bool,
    /// As `pg_get_constraintdef` prints it.
    pub definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A check constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckConstraint {
    pub name: String,
    /// The boolean expression, as `pg_get_expr` prints it: `(a > 0)`.
    pub expression: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_inherit: bool,
    /// False for a constraint added `NOT VALID` and not validated since.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub validated: bool,
    /// As `pg_get_constraintdef` prints it: `CHECK ((a > 0))`.
    pub definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An exclusion constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExclusionConstraint {
    pub name: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deferrable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub initially_deferred: bool,
    /// As `pg_get_constraintdef` prints it: `EXCLUDE USING gist (during WITH &&)`.
    pub definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ForeignKey {
    pub name: String,
    /// The referencing columns, in order.
    pub columns: Vec<String>,
    /// The referenced table (it may be out of scope: then it is listed in `external_tables`).
    pub references: QualifiedName,
    /// The referenced columns, pairwise with `columns`.
    pub referenced_columns: Vec<String>,
    pub on_update: ForeignKeyAction,
    pub on_delete: ForeignKeyAction,
    #[serde(rename = "match")]
    pub match_type: ForeignKeyMatch,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deferrable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub initially_deferred: bool,
    /// False for a key added `NOT VALID` and not validated since.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub validated: bool,
    /// As `pg_get_constraintdef` prints it.
    pub definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A referential action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ForeignKeyAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl ForeignKeyAction {
    /// From `pg_constraint.confupdtype` / `confdeltype`.
    pub fn from_catalog(code: &str) -> Option<Self> {
        Some(match code {
            "a" => Self::NoAction,
            "r" => Self::Restrict,
            "c" => Self::Cascade,
            "n" => Self::SetNull,
            "d" => Self::SetDefault,
            _ => return None,
        })
    }
}

/// A foreign key's match type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ForeignKeyMatch {
    Simple,
    Full,
    Partial,
}

impl ForeignKeyMatch {
    /// From `pg_constraint.confmatchtype`.
    pub fn from_catalog(code: &str) -> Option<Self> {
        Some(match code {
            "s" => Self::Simple,
            "f" => Self::Full,
            "p" => Self::Partial,
            _ => return None,
        })
    }
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}
