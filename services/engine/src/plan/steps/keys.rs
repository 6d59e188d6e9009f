//! The keys of the objects steps create, change, drop or need, and the ranks that order steps
//! no dependency orders.

use std::fmt;

use crate::model::QualifiedName;

/// An object a step creates, changes, drops or needs (see [`super::Deps`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ObjectKey {
    /// A schema (`schema:app`).
    Schema(String),
    /// An extension (`ext:pgcrypto`).
    Extension(String),
    /// A type: an enum, a domain or a composite type (`type:public.mood`).
    Type(QualifiedName),
    /// A relation: a table, view, materialized view or sequence (`rel:public.users`).
    Rel(QualifiedName),
    /// The columns of a relation, as views and types that read them see them
    /// (`shape:public.users`).
    Shape(QualifiedName),
    /// A collation (`collation:public.ci`).
    Collation(QualifiedName),
    /// A function or procedure, all overloads (`func:public.touch`).
    Func(QualifiedName),
    /// A column of a table (`col:public.users.email`).
    Column(QualifiedName, String),
    /// A primary key, unique constraint or unique index over these columns or expressions
    /// (`key:public.users(id)`), which foreign keys reference.
    Key(QualifiedName, Vec<String>),
    /// The `NOT VALID` check that proves a column NOT NULL has been added
    /// (`notnull:public.users.email`).
    NotNull(QualifiedName, String),
    /// That check has been validated (`notnull-valid:public.users.email`).
    NotNullValid(QualifiedName, String),
}

impl ObjectKey {
    pub fn schema(name: &str) -> Self {
        Self::Schema(name.to_string())
    }

    pub fn extension(name: &str) -> Self {
        Self::Extension(name.to_string())
    }

    pub fn type_of(schema: &str, name: &str) -> Self {
        Self::Type(QualifiedName::new(schema, name))
    }

    pub fn rel(q: &QualifiedName) -> Self {
        Self::Rel(q.clone())
    }

    pub fn shape(q: &QualifiedName) -> Self {
        Self::Shape(q.clone())
    }

    pub fn func(schema: &str, name: &str) -> Self {
        Self::Func(QualifiedName::new(schema, name))
    }

    pub fn column(table: &QualifiedName, column: &str) -> Self {
        Self::Column(table.clone(), column.to_string())
    }

    pub fn key(table: &QualifiedName, columns: &[String]) -> Self {
        Self::Key(table.clone(), columns.to_vec())
    }

    pub fn not_null(table: &QualifiedName, column: &str) -> Self {
        Self::NotNull(table.clone(), column.to_string())
    }

    pub fn not_null_valid(table: &QualifiedName, column: &str) -> Self {
        Self::NotNullValid(table.clone(), column.to_string())
    }
}

/// The key as text, `prefix:object`, for debugging.
impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Schema(n) => write!(f, "schema:{n}"),
            Self::Extension(n) => write!(f, "ext:{n}"),
            Self::Type(q) => write!(f, "type:{}.{}", q.schema, q.name),
            Self::Rel(q) => write!(f, "rel:{}.{}", q.schema, q.name),
            Self::Shape(q) => write!(f, "shape:{}.{}", q.schema, q.name),
            Self::Func(q) => write!(f, "func:{}.{}", q.schema, q.name),
            Self::Collation(q) => write!(f, "collation:{}.{}", q.schema, q.name),
            Self::Column(t, c) => write!(f, "col:{}.{}.{c}", t.schema, t.name),
            Self::Key(t, cols) => write!(f, "key:{}.{}({})", t.schema, t.name, cols.join(",")),
            Self::NotNull(t, c) => write!(f, "notnull:{t}.{c}"),
            Self::NotNullValid(t, c) => write!(f, "notnull-valid:{t}.{c}"),
        }
    }
}

/// Where a step goes among the steps that no dependency orders: lower ranks run first, equal
/// ranks in the order of the changes. Dependants are dropped first, then things are created
/// from schemas to comments, and what other objects use is dropped last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Rank(u8);

impl Rank {
    /// Tables and columns renamed as TO declares, first: every other step names them as they
    /// will be.
    pub const RENAME: Rank = Rank(0);
    /// Policies and triggers are dropped first: they read tables, columns and functions.
    pub const DROP_POLICY_OR_TRIGGER: Rank = Rank(1);
    /// Views and materialized views, which read tables.
    pub const DROP_VIEW: Rank = Rank(2);
    /// Foreign keys, before the keys they reference.
    pub const DROP_FOREIGN_KEY: Rank = Rank(3);
    /// Other constraints, and indexes.
    pub const DROP_CONSTRAINT_OR_INDEX: Rank = Rank(4);
    pub const DROP_TABLE: Rank = Rank(5);
    pub const CREATE_SCHEMA: Rank = Rank(6);
    pub const CREATE_EXTENSION: Rank = Rank(7);
    /// Enums, domains and composite types created, domains altered, enum labels added.
    pub const CREATE_TYPE: Rank = Rank(8);
    pub const CREATE_SEQUENCE: Rank = Rank(9);
    /// Functions created or replaced.
    pub const CREATE_FUNCTION: Rank = Rank(10);
    pub const CREATE_TABLE: Rank = Rank(11);
    /// Columns added, dropped or altered (and the steps that prove a new NOT NULL).
    pub const ALTER_COLUMN: Rank = Rank(12);
    /// An enum swapped for one with other labels, its columns cast over.
    pub const REPLACE_ENUM: Rank = Rank(13);
    /// Primary keys, unique, check and exclusion constraints.
    pub const ADD_CONSTRAINT: Rank = Rank(14);
    pub const CREATE_INDEX: Rank = Rank(15);
    /// Foreign keys, after the keys they reference.
    pub const ADD_FOREIGN_KEY: Rank = Rank(16);
    /// Sequences altered or made owned by a column (the column exists by then).
    pub const ALTER_SEQUENCE: Rank = Rank(17);
    /// Views and materialized views, after their tables.
    pub const CREATE_VIEW: Rank = Rank(18);
    /// Triggers created, or enabled or disabled.
    pub const CREATE_TRIGGER: Rank = Rank(19);
    /// Row-level security, storage parameters and policies of tables.
    pub const TABLE_SETTINGS: Rank = Rank(20);
    pub const COMMENT: Rank = Rank(21);
    /// Grants given and taken away, once their objects exist.
    pub const GRANTS: Rank = Rank(22);
    pub const DROP_FUNCTION: Rank = Rank(23);
    pub const DROP_SEQUENCE: Rank = Rank(24);
    /// Enums, domains and composite types.
    pub const DROP_TYPE: Rank = Rank(25);
    pub const DROP_EXTENSION: Rank = Rank(26);
    pub const DROP_SCHEMA: Rank = Rank(27);
}
