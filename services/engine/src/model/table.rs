use serde::{Deserialize, Serialize};

use super::{
    CheckConstraint, ExclusionConstraint, ForeignKey, Index, Policy, PrimaryKey, QualifiedName, SequenceOptions,
    Trigger, UniqueConstraint, is_false,
};

/// A table: ordinary, partitioned, or a partition of another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub schema: String,
    pub name: String,
    /// The name it had (in the same schema): a version declares a rename, so that a plan
    /// renames instead of dropping and adding (a declaration, not read from a database).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// The columns in their physical order. The order is kept for rendering but takes no part
    /// in the digest or the diff: PostgreSQL cannot reorder columns without a rebuild.
    pub columns: Vec<Column>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<PrimaryKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unique_constraints: Vec<UniqueConstraint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub check_constraints: Vec<CheckConstraint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusion_constraints: Vec<ExclusionConstraint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    /// Indexes that do not implement a constraint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Trigger>,
    /// Row-level security switches.
    #[serde(default, skip_serializing_if = "RowSecurity::is_off")]
    pub row_security: RowSecurity,
    /// Row-level security policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
    /// For a partitioned table: its partition key, as `pg_get_partkeydef` prints it
    /// (`RANGE (created_at)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<String>,
    /// For a partition: its parent and bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<PartitionOf>,
    /// Parents by plain (non-partition) inheritance, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherits: Vec<QualifiedName>,
    /// `UNLOGGED` table.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unlogged: bool,
    /// `REPLICA IDENTITY`, when it is not the default (the primary key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_identity: Option<ReplicaIdentity>,
    /// Storage parameters (`WITH (fillfactor=70)`), as `name=value`, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Which old values logical replication sends for updated and deleted rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReplicaIdentity {
    Nothing,
    Full,
    /// `USING INDEX`: a unique index of the table.
    Index(String),
}

/// A table column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub name: String,
    /// The name it had in its table: a declared rename (see `Table::renamed_from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// The type, as `format_type` prints it (`character varying(255)`, `public.user_role`).
    #[serde(rename = "type")]
    pub data_type: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub not_null: bool,
    /// The default expression, as `pg_get_expr` prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `GENERATED … AS IDENTITY`, with its sequence's options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// The expression of a `GENERATED ALWAYS AS (…) STORED` column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    /// A collation other than the type's default, schema-qualified (`pg_catalog."C"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// `SET STATISTICS`: the column's statistics target, when one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics: Option<i32>,
    /// `SET STORAGE`, when it is not the type's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<ColumnStorage>,
    /// `COMPRESSION`, when one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<Compression>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// How a column's values are stored (`SET STORAGE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ColumnStorage {
    Plain,
    External,
    Extended,
    Main,
}

impl ColumnStorage {
    pub fn keyword(self) -> &'static str {
        match self {
            ColumnStorage::Plain => "PLAIN",
            ColumnStorage::External => "EXTERNAL",
            ColumnStorage::Extended => "EXTENDED",
            ColumnStorage::Main => "MAIN",
        }
    }

    /// From `pg_attribute.attstorage` / `pg_type.typstorage`.
    pub fn from_catalog(c: &str) -> Option<Self> {
        Some(match c {
            "p" => ColumnStorage::Plain,
            "e" => ColumnStorage::External,
            "x" => ColumnStorage::Extended,
            "m" => ColumnStorage::Main,
            _ => return None,
        })
    }

    /// The storage PostgreSQL gives a type's columns, for the types whose default is not
    /// `EXTENDED` (what a column goes back to when its own storage is taken away).
    pub fn default_for(data_type: &str) -> Self {
        if data_type.ends_with("[]") {
            return ColumnStorage::Extended;
        }
        let base = data_type.split('(').next().unwrap_or(data_type).trim();
        match base {
            "numeric" | "inet" | "cidr" => ColumnStorage::Main,
            "text" | "character varying" | "character" | "bytea" | "json" | "jsonb" | "xml" | "tsvector"
            | "tsquery" | "bit varying" | "bit" | "path" | "polygon" => ColumnStorage::Extended,
            b if b.contains('.') => ColumnStorage::Extended,
            _ => ColumnStorage::Plain,
        }
    }
}

/// A column's compression method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    Pglz,
    Lz4,
}

impl Compression {
    pub fn keyword(self) -> &'static str {
        match self {
            Compression::Pglz => "pglz",
            Compression::Lz4 => "lz4",
        }
    }
}

/// An identity column's generation and sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub generation: IdentityGeneration,
    pub sequence: SequenceOptions,
    /// The sequence's name when it is not PostgreSQL's `table_column_seq` (`SEQUENCE NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_name: Option<String>,
}

/// `GENERATED ALWAYS` or `GENERATED BY DEFAULT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IdentityGeneration {
    Always,
    ByDefault,
}

/// Row-level security switches of a table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RowSecurity {
    /// `ALTER TABLE … ENABLE ROW LEVEL SECURITY`.
    #[serde(default)]
    pub enabled: bool,
    /// `ALTER TABLE … FORCE ROW LEVEL SECURITY`.
    #[serde(default)]
    pub forced: bool,
}

impl RowSecurity {
    pub fn is_off(&self) -> bool {
        !self.enabled && !self.forced
    }
}

/// A partition's parent and bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartitionOf {
    pub parent: QualifiedName,
    /// The bound, as PostgreSQL prints it: `FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`
    /// or `DEFAULT`.
    pub bound: String,
}

/// An out-of-scope table that an in-scope foreign key points to: only what the reference
/// needs (the referenced columns and their types).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExternalTable {
    pub schema: String,
    pub name: String,
    /// The referenced columns, in the table's order.
    pub columns: Vec<ExternalColumn>,
    /// The column sets that foreign keys reference (each is unique in the table).
    pub keys: Vec<Vec<String>>,
}

/// A column of an external table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExternalColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
}

impl Table {
    pub fn qualified(&self) -> QualifiedName {
        QualifiedName::new(&self.schema, &self.name)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}
