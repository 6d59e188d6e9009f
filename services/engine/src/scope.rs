//! Scopes: which schemas and tables of a database belong to a snapshot.
//!
//! A scope is a list of patterns (`--scope`): `public` selects a schema, `public.users` a
//! table, and a leading `-` excludes instead. `*` and `?` are wildcards. With no include
//! pattern every schema that is not PostgreSQL's own is in scope. Presets add exclusions:
//! `migration-tools` (always on) and `supabase`; `no-privileges` leaves grants and default
//! privileges out; `owners` compares owners (left out otherwise).

use std::collections::{BTreeMap, BTreeSet};

use glob::Pattern;

use crate::model::{ExternalColumn, ExternalTable, GrantKind, OwnedKind, QualifiedName, Snapshot};

/// A built-in set of exclusions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Preset {
    /// The bookkeeping tables of migration tools (always on).
    MigrationTools,
    /// Supabase's own schemas.
    Supabase,
    /// No grants: privileges are not compared.
    NoPrivileges,
    /// Owners compared (most teams do not want them: off unless asked for).
    Owners,
}

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::MigrationTools,
        Preset::Supabase,
        Preset::NoPrivileges,
        Preset::Owners,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::MigrationTools => "migration-tools",
            Preset::Supabase => "supabase",
            Preset::NoPrivileges => "no-privileges",
            Preset::Owners => "owners",
        }
    }

    /// Schemas the preset excludes.
    pub fn schemas(self) -> &'static [&'static str] {
        match self {
            // Atlas, sqitch, pgroll, graphile-migrate and drizzle keep their state in a schema.
            Preset::MigrationTools => &[
                "atlas_schema_revisions",
                "sqitch",
                "pgroll",
                "graphile_migrate",
                "drizzle",
                "hdb_catalog",
            ],
            Preset::Supabase => &[
                "auth",
                "storage",
                "realtime",
                "_realtime",
                "extensions",
                "graphql",
                "graphql_public",
                "vault",
                "pgsodium",
                "pgsodium_masks",
                "supabase_functions",
                "supabase_migrations",
                "net",
                "cron",
                "pgbouncer",
                "pgtle",
                "_analytics",
                "_supavisor",
            ],
            Preset::NoPrivileges | Preset::Owners => &[],
        }
    }

    /// Whether the preset leaves out what a role's new objects get (its default privileges):
    /// Supabase's own roles (`supabase_admin`, `supabase_auth_admin`, …) set theirs.
    pub fn excludes_role(self, role: &str) -> bool {
        match self {
            Preset::Supabase => role.starts_with("supabase_"),
            Preset::MigrationTools | Preset::NoPrivileges | Preset::Owners => false,
        }
    }

    /// Table names the preset excludes in every schema.
    pub fn tables(self) -> &'static [&'static str] {
        match self {
            Preset::MigrationTools => &[
                "alembic_version",            // Alembic
                "flyway_schema_history",      // Flyway
                "schema_version",             // Flyway before 5
                "databasechangelog",          // Liquibase
                "databasechangeloglock",      // Liquibase
                "django_migrations",          // Django
                "schema_migrations",          // Rails, golang-migrate, dbmate
                "ar_internal_metadata",       // Rails
                "_prisma_migrations",         // Prisma
                "goose_db_version",           // goose
                "_sqlx_migrations",           // sqlx
                "__diesel_schema_migrations", // diesel
                "knex_migrations",            // knex
                "knex_migrations_lock",       // knex
                "atlas_schema_revisions",     // Atlas
                "__EFMigrationsHistory",      // Entity Framework
                "SequelizeMeta",              // Sequelize
                "mikro_orm_migrations",       // MikroORM
                "__drizzle_migrations",       // drizzle
                "_yoyo_migration",            // yoyo
                "_yoyo_log",                  // yoyo
                "_yoyo_version",              // yoyo
                "yoyo_lock",                  // yoyo
                "refinery_schema_history",    // refinery
                "seaql_migrations",           // SeaORM
                "pgmigrations",               // node-pg-migrate
                "migrations_lock",            // various
            ],
            Preset::Supabase | Preset::NoPrivileges | Preset::Owners => &[],
        }
    }
}

impl std::str::FromStr for Preset {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, ScopeError> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| ScopeError::UnknownPreset(s.to_string()))
    }
}

/// A scope pattern that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("unknown preset {0:?}: the presets are migration-tools, supabase, no-privileges and owners")]
    UnknownPreset(String),
    #[error(
        "invalid scope pattern {pattern:?}: {message}; write SCHEMA or SCHEMA.TABLE, with * and ? \
         as wildcards and a leading - to exclude"
    )]
    BadPattern { pattern: String, message: String },
}

#[derive(Debug, Clone)]
struct NamePattern {
    schema: Pattern,
    table: Option<Pattern>,
}

/// Which schemas and tables belong to a snapshot.
#[derive(Debug, Clone)]
pub struct Scope {
    include: Vec<NamePattern>,
    exclude: Vec<NamePattern>,
    presets: BTreeSet<Preset>,
}

impl Default for Scope {
    fn default() -> Self {
        Self {
            include: Vec::new(),
            exclude: Vec::new(),
            presets: BTreeSet::from([Preset::MigrationTools]),
        }
    }
}

/// Schemas that are PostgreSQL's own, never in scope.
pub fn is_system_schema(name: &str) -> bool {
    name == "pg_catalog" || name == "information_schema" || name.starts_with("pg_toast") || name.starts_with("pg_temp_")
}

impl Scope {
    /// Builds a scope from `--scope` patterns and `--preset` names.
    pub fn new<P: AsRef<str>, Q: AsRef<str>>(patterns: &[P], presets: &[Q]) -> Result<Self, ScopeError> {
        let mut scope = Scope::default();
        for p in presets {
            scope.presets.insert(p.as_ref().parse()?);
        }
        for raw in patterns {
            let raw = raw.as_ref().trim();
            let (exclude, text) = match raw.strip_prefix('-').or_else(|| raw.strip_prefix('!')) {
                Some(rest) => (true, rest),
                None => (false, raw),
            };
            let bad = |message: &str| ScopeError::BadPattern {
                pattern: raw.to_string(),
                message: message.to_string(),
            };
            let mut parts = text.splitn(2, '.');
            let schema = parts
                .next()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| bad("empty name"))?;
            let table = parts.next();
            if table == Some("") {
                return Err(bad("empty table name"));
            }
            let compile = |s: &str| Pattern::new(s).map_err(|e| bad(&e.to_string()));
            let pattern = NamePattern {
                schema: compile(schema)?,
                table: table.map(compile).transpose()?,
            };
            if exclude {
                scope.exclude.push(pattern)
            } else {
                scope.include.push(pattern)
            }
        }
        Ok(scope)
    }

    /// The same scope with some tables left out as well (exact names).
    pub fn excluding_tables<'a>(&self, tables: impl IntoIterator<Item = &'a QualifiedName>) -> Scope {
        let mut s = self.clone();
        for t in tables {
            s.exclude.push(NamePattern {
                schema: Pattern::new(&Pattern::escape(&t.schema)).expect("an escaped name is a valid pattern"),
                table: Some(Pattern::new(&Pattern::escape(&t.name)).expect("an escaped name is a valid pattern")),
            });
        }
        s
    }

    /// The same scope with some schemas left out as well (exact names).
    pub fn excluding_schemas<'a>(&self, schemas: impl IntoIterator<Item = &'a String>) -> Scope {
        let mut s = self.clone();
        for name in schemas {
            s.exclude.push(NamePattern {
                schema: Pattern::new(&Pattern::escape(name)).expect("an escaped name is a valid pattern"),
                table: None,
            });
        }
        s
    }

    /// The presets in force, `migration-tools` included.
    pub fn presets(&self) -> impl Iterator<Item = Preset> + '_ {
        self.presets.iter().copied()
    }

    /// Whether objects of this schema (types, functions, …) are in scope.
    /// Whether owners are compared (the `owners` preset).
    pub fn compares_owners(&self) -> bool {
        self.presets.contains(&Preset::Owners)
    }

    /// Whether a preset leaves out the default privileges of this role's new objects.
    pub fn excludes_role(&self, role: &str) -> bool {
        self.presets.iter().any(|p| p.excludes_role(role))
    }

    pub fn schema_in_scope(&self, schema: &str) -> bool {
        if is_system_schema(schema) || self.presets.iter().any(|p| p.schemas().contains(&schema)) {
            return false;
        }
        if self
            .exclude
            .iter()
            .any(|p| p.table.is_none() && p.schema.matches(schema))
        {
            return false;
        }
        self.include.is_empty() || self.include.iter().any(|p| p.schema.matches(schema))
    }

    /// Whether a table, view, materialized view or sequence is in scope.
    pub fn relation_in_scope(&self, schema: &str, name: &str) -> bool {
        if !self.schema_in_scope(schema)
            || self.presets.iter().any(|p| p.tables().contains(&name))
            || self
                .exclude
                .iter()
                .any(|p| p.schema.matches(schema) && p.table.as_ref().is_some_and(|t| t.matches(name)))
        {
            return false;
        }
        let includes: Vec<_> = self.include.iter().filter(|p| p.schema.matches(schema)).collect();
        // Schema-wide includes take every relation; otherwise the table patterns decide.
        includes.is_empty() && self.include.is_empty()
            || includes
                .iter()
                .any(|p| p.table.as_ref().is_none_or(|t| t.matches(name)))
    }

    /// Keeps what is in scope. Foreign keys that point out of scope are kept, and the tables
    /// they point to (out of scope, or already external in the input) are recorded in
    /// `external_tables`.
    pub fn apply(&self, mut s: Snapshot) -> Snapshot {
        let known_external: BTreeMap<QualifiedName, ExternalTable> = std::mem::take(&mut s.external_tables)
            .into_iter()
            .map(|e| (QualifiedName::new(&e.schema, &e.name), e))
            .collect();

        s.schemas.retain(|x| self.schema_in_scope(&x.name));
        s.extensions.retain(|x| self.schema_in_scope(&x.schema));
        s.enums.retain(|x| self.schema_in_scope(&x.schema));
        s.domains.retain(|x| self.schema_in_scope(&x.schema));
        s.composite_types.retain(|x| self.schema_in_scope(&x.schema));
        s.collations.retain(|x| self.schema_in_scope(&x.schema));
        s.functions.retain(|x| self.schema_in_scope(&x.schema));
        // Tables left out stay at hand (not cloned) for the foreign keys that point to them.
        let (tables, left_out): (Vec<_>, Vec<_>) = std::mem::take(&mut s.tables)
            .into_iter()
            .partition(|x| self.relation_in_scope(&x.schema, &x.name));
        s.tables = tables;
        let left_out: BTreeMap<QualifiedName, &crate::Table> = left_out.iter().map(|t| (t.qualified(), t)).collect();
        s.views.retain(|x| self.relation_in_scope(&x.schema, &x.name));
        s.materialized_views
            .retain(|x| self.relation_in_scope(&x.schema, &x.name));
        s.sequences.retain(|x| {
            self.relation_in_scope(&x.schema, &x.name)
                && x.owned_by
                    .as_ref()
                    .is_none_or(|o| self.relation_in_scope(&o.schema, &o.table))
        });

        s.unmodelled
            .retain(|u| u.schema.as_deref().is_none_or(|x| self.schema_in_scope(x)));
        if self.presets.contains(&Preset::NoPrivileges) {
            s.grants.clear();
            s.default_privileges.clear();
        }
        if !self.presets.contains(&Preset::Owners) {
            s.owners.clear();
        }
        s.owners.retain(|o| match (o.kind, &o.schema) {
            (OwnedKind::Schema, _) => self.schema_in_scope(&o.name),
            (OwnedKind::Table | OwnedKind::View | OwnedKind::MaterializedView | OwnedKind::Sequence, Some(x)) => {
                self.relation_in_scope(x, &o.name)
            }
            (_, Some(x)) => self.schema_in_scope(x),
            (_, None) => false,
        });
        // Those in a schema follow it; those for every schema follow the scope's roles: the
        // supabase preset leaves out what its own roles get.
        s.default_privileges.retain(|d| {
            d.schema.as_deref().is_none_or(|x| self.schema_in_scope(x))
                && d.role.as_deref().is_none_or(|r| !self.excludes_role(r))
        });
        s.grants.retain(|g| match (g.kind, &g.schema) {
            (GrantKind::Schema, _) => self.schema_in_scope(&g.name),
            (GrantKind::Table | GrantKind::Column | GrantKind::Sequence, Some(schema)) => {
                self.relation_in_scope(schema, &g.name)
            }
            (_, Some(schema)) => self.schema_in_scope(schema),
            (_, None) => false,
        });

        let kept: BTreeSet<QualifiedName> = s.tables.iter().map(|t| t.qualified()).collect();
        let mut external: BTreeMap<QualifiedName, ExternalTable> = BTreeMap::new();
        for fk in s.tables.iter().flat_map(|t| &t.foreign_keys) {
            let target = &fk.references;
            if kept.contains(target) {
                continue;
            }
            let entry = external.entry(target.clone()).or_insert_with(|| ExternalTable {
                schema: target.schema.clone(),
                name: target.name.clone(),
                columns: Vec::new(),
                keys: Vec::new(),
            });
            entry.keys.push(fk.referenced_columns.clone());
            let typed: Vec<ExternalColumn> = match (left_out.get(target), known_external.get(target)) {
                (Some(t), _) => t
                    .columns
                    .iter()
                    .filter(|c| fk.referenced_columns.contains(&c.name))
                    .map(|c| ExternalColumn {
                        name: c.name.clone(),
                        data_type: c.data_type.clone(),
                    })
                    .collect(),
                (None, Some(e)) => e
                    .columns
                    .iter()
                    .filter(|c| fk.referenced_columns.contains(&c.name))
                    .cloned()
                    .collect(),
                (None, None) => Vec::new(),
            };
            for c in typed {
                if !entry.columns.iter().any(|x| x.name == c.name) {
                    entry.columns.push(c);
                }
            }
        }
        s.external_tables = external.into_values().collect();
        crate::canonical::normalize(&mut s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scope_is_every_user_schema_less_migration_tables() {
        let s = Scope::default();
        assert!(s.schema_in_scope("public"));
        assert!(s.schema_in_scope("auth"));
        assert!(!s.schema_in_scope("pg_catalog"));
        assert!(!s.schema_in_scope("information_schema"));
        assert!(s.relation_in_scope("public", "users"));
        assert!(!s.relation_in_scope("public", "alembic_version"));
        assert!(!s.relation_in_scope("app", "flyway_schema_history"));
    }

    #[test]
    fn supabase_preset_excludes_its_schemas() {
        let s = Scope::new::<&str, &str>(&[], &["supabase"]).unwrap();
        for schema in ["auth", "storage", "extensions", "realtime", "vault", "graphql_public"] {
            assert!(!s.schema_in_scope(schema), "{schema}");
        }
        assert!(s.relation_in_scope("public", "users"));
    }

    #[test]
    fn patterns_include_and_exclude() {
        let s = Scope::new(&["public", "-public.audit_*", "app.orders"], &[] as &[&str]).unwrap();
        assert!(s.relation_in_scope("public", "users"));
        assert!(!s.relation_in_scope("public", "audit_log"));
        assert!(s.relation_in_scope("app", "orders"));
        assert!(!s.relation_in_scope("app", "customers"));
        assert!(s.schema_in_scope("app"));
        assert!(!s.schema_in_scope("other"));
        let s = Scope::new(&["-legacy"], &[] as &[&str]).unwrap();
        assert!(!s.schema_in_scope("legacy"));
        assert!(s.schema_in_scope("public"));
    }

    #[test]
    fn references_out_of_scope_become_external_tables_and_stay_so() {
        let doc = serde_json::json!({
            "format": 1,
            "tables": [
                {"schema": "auth", "name": "users", "columns": [{"name": "id", "type": "uuid"}, {"name": "email", "type": "text"}]},
                {"schema": "public", "name": "users", "columns": [{"name": "auth_id", "type": "uuid"}],
                 "foreign_keys": [{"name": "fk", "columns": ["auth_id"], "references": {"schema": "auth", "name": "users"},
                   "referenced_columns": ["id"], "on_update": "no_action", "on_delete": "cascade", "match": "simple",
                   "definition": "FOREIGN KEY (auth_id) REFERENCES auth.users(id) ON DELETE CASCADE"}]}
            ]
        });
        let snap = crate::from_json(doc.to_string().as_bytes()).unwrap();
        let supabase = Scope::new::<&str, &str>(&[], &["supabase"]).unwrap();
        let scoped = supabase.apply(snap);
        assert_eq!(scoped.tables.len(), 1);
        assert_eq!(scoped.external_tables.len(), 1);
        let ext = &scoped.external_tables[0];
        assert_eq!((ext.schema.as_str(), ext.name.as_str()), ("auth", "users"));
        assert_eq!(ext.columns.len(), 1, "only the referenced column");
        assert_eq!(ext.keys, vec![vec!["id".to_string()]]);
        // Re-read with the default scope, the reference is still external.
        let again = Scope::default().apply(scoped.clone());
        assert_eq!(again, scoped);
    }

    #[test]
    fn bad_patterns_and_presets_are_refused() {
        assert!(Scope::new(&["-"], &[] as &[&str]).is_err());
        assert!(Scope::new(&["public."], &[] as &[&str]).is_err());
        assert!(Scope::new(&["[x"], &[] as &[&str]).is_err());
        let e = Scope::new::<&str, &str>(&[], &["nope"]).unwrap_err().to_string();
        assert!(e.contains("migration-tools, supabase, no-privileges and owners"), "{e}");
    }

    #[test]
    fn grants_follow_their_objects_into_scope_and_no_privileges_leaves_them_out() {
        let doc = serde_json::json!({"format": 1, "grants": [
            {"kind": "table", "schema": "public", "name": "t", "grantee": "anon", "privileges": ["SELECT"]},
            {"kind": "table", "schema": "public", "name": "alembic_version", "grantee": "anon", "privileges": ["SELECT"]},
            {"kind": "table", "schema": "auth", "name": "users", "grantee": "anon", "privileges": ["SELECT"]},
            {"kind": "schema", "name": "auth", "grantee": "anon", "privileges": ["USAGE"]},
            {"kind": "function", "schema": "public", "name": "f", "arguments": "", "grantee": "PUBLIC", "revoked": ["EXECUTE"]}
        ]});
        let s = crate::from_json(doc.to_string().as_bytes()).unwrap();
        let supabase = Scope::new::<&str, &str>(&[], &["supabase"]).unwrap().apply(s.clone());
        let kept: Vec<String> = supabase.grants.iter().map(|g| g.object()).collect();
        assert_eq!(kept, ["table public.t", "function public.f()"]);
        let none = Scope::new::<&str, &str>(&[], &["supabase", "no-privileges"])
            .unwrap()
            .apply(s);
        assert!(none.grants.is_empty());
    }

    #[test]
    fn default_privileges_follow_their_schema_and_supabase_leaves_its_roles_out() {
        let doc = serde_json::json!({"format": 1, "default_privileges": [
            {"role": "postgres", "schema": "public", "on": "tables", "grantee": "anon", "privileges": ["SELECT"]},
            {"role": "supabase_admin", "schema": "public", "on": "tables", "grantee": "anon", "privileges": ["SELECT"]},
            {"role": "postgres", "schema": "auth", "on": "tables", "grantee": "anon", "privileges": ["SELECT"]},
            {"on": "functions", "grantee": "PUBLIC", "revoked": ["EXECUTE"]}
        ]});
        let s = crate::from_json(doc.to_string().as_bytes()).unwrap();
        let supabase = Scope::new::<&str, &str>(&[], &["supabase"]).unwrap().apply(s.clone());
        let kept: Vec<String> = supabase.default_privileges.iter().map(|d| d.object()).collect();
        assert_eq!(
            kept,
            [
                "default privileges on functions",
                "default privileges of role postgres on tables in schema public"
            ]
        );
        let none = Scope::new::<&str, &str>(&[], &["no-privileges"]).unwrap().apply(s);
        assert!(none.default_privileges.is_empty());
    }

    #[test]
    fn owners_are_compared_only_when_asked_for() {
        let doc = serde_json::json!({"format": 1, "owners": [
            {"kind": "table", "schema": "public", "name": "t", "owner": "app"},
            {"kind": "table", "schema": "auth", "name": "users", "owner": "supabase_auth_admin"},
            {"kind": "routine", "schema": "public", "name": "f", "arguments": "a integer", "owner": "definer"}
        ]});
        let s = crate::from_json(doc.to_string().as_bytes()).unwrap();
        assert!(Scope::default().apply(s.clone()).owners.is_empty());
        let owners = Scope::new::<&str, &str>(&[], &["owners", "supabase"]).unwrap().apply(s);
        let kept: Vec<String> = owners.owners.iter().map(|o| o.object()).collect();
        assert_eq!(kept, ["table public.t", "routine public.f(a integer)"]);
    }
}
