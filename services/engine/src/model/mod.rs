//! The snapshot: a PostgreSQL schema as the catalog describes it.
//!
//! Every text in a snapshot (types, defaults, expressions, definitions) is spelled the way
//! PostgreSQL's own renderers print it with an empty `search_path`, so that names outside
//! `pg_catalog` are always schema-qualified. One file per object kind.

mod constraint;
mod default_privilege;
mod dependency;
mod function;
mod grant;
mod index;
mod namespace;
mod owner;
mod policy;
mod sequence;
mod table;
mod trigger;
mod types;
mod view;

pub use constraint::*;
pub use default_privilege::*;
pub use dependency::*;
pub use function::*;
pub use grant::*;
pub use index::*;
pub use namespace::*;
pub use owner::*;
pub use policy::*;
pub use sequence::*;
pub use table::*;
pub use trigger::*;
pub use types::*;
pub use view::*;

use serde::{Deserialize, Serialize};

/// The snapshot format this build reads and writes.
pub const FORMAT: u32 = 1;

/// A schema-qualified object name, such as `public.users`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QualifiedName {
    /// The schema (namespace) the object lives in.
    pub schema: String,
    /// The object's name within its schema.
    pub name: String,
}

impl QualifiedName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// A model snapshot: the whole schema of one database (within a scope), format 1.
///
/// Lists are kept sorted by object name (see [`crate::canonical`]); the digest does not
/// depend on the order in which a document lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// The snapshot format version; this build reads and writes format 1.
    pub format: u32,
    /// Schemas (namespaces) in scope.
    #[serde(default)]
    pub schemas: Vec<Schema>,
    /// Extensions installed into an in-scope schema.
    #[serde(default)]
    pub extensions: Vec<Extension>,
    /// Enum types, with their labels in order.
    #[serde(default)]
    pub enums: Vec<EnumType>,
    /// Domains over a base type.
    #[serde(default)]
    pub domains: Vec<Domain>,
    /// Composite types created with `CREATE TYPE … AS (…)`.
    #[serde(default)]
    pub composite_types: Vec<CompositeType>,
    /// Collations created with `CREATE COLLATION`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collations: Vec<Collation>,
    /// Sequences, except those that implement identity columns (those belong to their column).
    #[serde(default)]
    pub sequences: Vec<Sequence>,
    /// Tables, including partitioned tables and their partitions.
    #[serde(default)]
    pub tables: Vec<Table>,
    /// Views.
    #[serde(default)]
    pub views: Vec<View>,
    /// Materialized views.
    #[serde(default)]
    pub materialized_views: Vec<MaterializedView>,
    /// Functions and procedures (aggregates are not modelled).
    #[serde(default)]
    pub functions: Vec<Function>,
    /// Privileges granted on the objects above beyond PostgreSQL's defaults, and defaults
    /// revoked (left out by the `no-privileges` preset).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// Privileges objects created later get (`ALTER DEFAULT PRIVILEGES`; left out by the
    /// `no-privileges` preset).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_privileges: Vec<DefaultPrivilege>,
    /// Objects owned by other roles than the one that applies plans (only with the `owners`
    /// preset).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<Owner>,
    /// Objects of kinds the snapshot does not model (plans list them as not compared).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmodelled: Vec<Unmodelled>,
    /// Out-of-scope tables that in-scope foreign keys point to. They are references only: a
    /// plan never changes them.
    #[serde(default)]
    pub external_tables: Vec<ExternalTable>,
    /// What PostgreSQL recorded that the objects depend on, when the snapshot was read from a
    /// live database (never serialised; see [`Dependencies`]).
    #[serde(skip)]
    pub dependencies: Dependencies,
}

impl Default for Snapshot {
    fn default() -> Self {
        Self {
            format: FORMAT,
            schemas: Vec::new(),
            extensions: Vec::new(),
            enums: Vec::new(),
            domains: Vec::new(),
            composite_types: Vec::new(),
            collations: Vec::new(),
            sequences: Vec::new(),
            tables: Vec::new(),
            views: Vec::new(),
            materialized_views: Vec::new(),
            functions: Vec::new(),
            grants: Vec::new(),
            default_privileges: Vec::new(),
            owners: Vec::new(),
            unmodelled: Vec::new(),
            external_tables: Vec::new(),
            dependencies: Dependencies::default(),
        }
    }
}

impl Snapshot {
    /// The roles the snapshot names (its policies' and its grants' roles; `PUBLIC` is none):
    /// they must exist wherever it is built.
    pub fn roles(&self) -> std::collections::BTreeSet<String> {
        let policies = self
            .tables
            .iter()
            .flat_map(|t| t.policies.iter().flat_map(|p| p.roles.iter()));
        policies
            .chain(self.grants.iter().map(|g| &g.grantee))
            .chain(self.default_privileges.iter().map(|d| &d.grantee))
            .chain(self.default_privileges.iter().filter_map(|d| d.role.as_ref()))
            .chain(self.owners.iter().map(|o| &o.owner))
            .filter(|r| !r.eq_ignore_ascii_case("public"))
            .cloned()
            .collect()
    }

    /// This snapshot as seen by `user`, the role plans are applied as: default privileges
    /// named for it (`FOR ROLE user`) are those without a name, and objects it owns are listed
    /// with no owner, as a database read as that role lists them.
    pub fn as_applied_by(&mut self, user: &str) {
        for d in &mut self.default_privileges {
            if d.role.as_deref() == Some(user) {
                d.role = None;
            }
        }
        self.owners.retain(|o| o.owner != user);
    }

    /// Gives this snapshot (read back from a database) the renames `declared` declares: they
    /// are not in any catalog.
    pub fn carry_renames(&mut self, declared: &Snapshot) {
        for d in &declared.tables {
            let Some(t) = self
                .tables
                .iter_mut()
                .find(|t| t.schema == d.schema && t.name == d.name)
            else {
                continue;
            };
            t.renamed_from = d.renamed_from.clone();
            for dc in &d.columns {
                if let Some(c) = t.columns.iter_mut().find(|c| c.name == dc.name) {
                    c.renamed_from = dc.renamed_from.clone();
                }
            }
        }
    }

    /// Counts the objects of each kind, nested ones included (for reports and tests).
    pub fn counts(&self) -> ObjectCounts {
        let mut c = ObjectCounts {
            schemas: self.schemas.len(),
            extensions: self.extensions.len(),
            enums: self.enums.len(),
            domains: self.domains.len(),
            composite_types: self.composite_types.len(),
            collations: self.collations.len(),
            sequences: self.sequences.len(),
            tables: self.tables.len(),
            views: self.views.len(),
            materialized_views: self.materialized_views.len(),
            functions: self.functions.len(),
            grants: self.grants.len(),
            ..ObjectCounts::default()
        };
        for t in &self.tables {
            c.columns += t.columns.len();
            c.primary_keys += usize::from(t.primary_key.is_some());
            c.unique_constraints += t.unique_constraints.len();
            c.check_constraints += t.check_constraints.len();
            c.exclusion_constraints += t.exclusion_constraints.len();
            c.foreign_keys += t.foreign_keys.len();
            c.indexes += t.indexes.len();
            c.triggers += t.triggers.len();
            c.policies += t.policies.len();
        }
        for m in &self.materialized_views {
            c.indexes += m.indexes.len();
        }
        c
    }
}

/// How many objects of each kind a snapshot holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectCounts {
    pub schemas: usize,
    pub extensions: usize,
    pub enums: usize,
    pub domains: usize,
    pub composite_types: usize,
    pub collations: usize,
    pub sequences: usize,
    pub tables: usize,
    pub columns: usize,
    pub primary_keys: usize,
    pub unique_constraints: usize,
    pub check_constraints: usize,
    pub exclusion_constraints: usize,
    pub foreign_keys: usize,
    pub indexes: usize,
    pub views: usize,
    pub materialized_views: usize,
    pub functions: usize,
    pub triggers: usize,
    pub policies: usize,
    pub grants: usize,
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}
