//! Scratch databases: throw-away databases on a server where schemareg may create and drop
//! them (`--scratch-url`), or on a private cluster it starts itself.
//!
//! Each scratch database gets its own unprivileged login role that owns it, and work in it
//! runs as that role: DDL from a user never runs as a superuser. The database and role are
//! dropped when the [`ScratchDatabase`] is dropped, whatever happened.
//!
//! Roles that the DDL names (`CREATE POLICY … TO some_role`) are global to the server, so
//! several runs may need one at once. A run that needs a role holds a shared advisory lock on
//! its name for as long as its database lives, and creates the role (`NOLOGIN`, marked by a
//! comment) when it is missing. When a run ends it gives its locks back and drops every marked
//! role that nobody holds any more, its own and any a stopped run left behind. Roles the
//! server had before are never marked, so never dropped.
//!
//! A server may keep a few *templates* ([`ScratchServer::with_templates`]): databases already
//! holding a schema, each prepared once per fingerprint, that [`ScratchServer::template`]
//! hands out and [`ScratchServer::copy_database`] copies (`CREATE DATABASE … TEMPLATE`), which
//! is much faster than running the DDL again. A copy belongs to its template's role and keeps
//! the template alive; templates are dropped when evicted or with the server.

mod admission;
mod cluster;
mod database;
mod ready;
mod settled;

pub use admission::PER_RUN;
pub use cluster::{PrivateCluster, find_bindir};
pub use database::ScratchDatabase;
use database::drop_database;
pub use ready::Lent;

use std::sync::Arc;

use tokio_postgres::Client;

use crate::pg::{ConnectError, Target};

/// Why a scratch server or database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ScratchError {
    #[error(
        "no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin and pg_config); \
         install PostgreSQL, set SCHEMAREG_PG_BINDIR, or give --scratch-url"
    )]
    NoBinaries,
    #[error("cannot start a private PostgreSQL cluster: {0}")]
    Cluster(String),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("scratch prefix {0:?} is not valid: lowercase letters, digits and _, starting with a letter, at most 40")]
    Prefix(String),
    /// A role a schema names that PostgreSQL will not make (a reserved name such as
    /// `pg_…` or `public`): the schema's mistake, not the server's.
    #[error("PostgreSQL refuses the role {role:?} the schema names: {message}")]
    RoleRefused { role: String, message: String },
    #[error(
        "scratch_connections is {connections}: at least {least} are needed (one per template and ready database kept, two for the server's own work, and three for a run)"
    )]
    Budget { connections: usize, least: usize },
    /// No turn within the budget's wait: every connection it allows was in use.
    #[error("no turn on the scratch server within {}s: every connection its budget allows is in use", .waited.as_secs())]
    Busy { waited: std::time::Duration },
    #[error("the scratch server {server} refused to {action}: {message}")]
    Refused {
        server: String,
        action: &'static str,
        message: String,
    },
}

/// A server for scratch databases.
#[derive(Debug)]
pub struct ScratchServer {
    admin: Target,
    version: u32,
    /// The start of the names of its databases (and their roles).
    prefix: String,
    templates: Templates,
    ready: ready::Ready,
    admission: Option<admission::Admission>,
    settled: settled::Settled,
    _cluster: Option<PrivateCluster>,
}

/// Prepared databases by fingerprint, most recently used last (none kept when `capacity` is 0).
#[derive(Debug, Default)]
struct Templates {
    capacity: usize,
    kept: std::sync::Mutex<Vec<(String, TemplateCell)>>,
}

/// A template being prepared, or prepared.
type TemplateCell = Arc<tokio::sync::OnceCell<Arc<ScratchDatabase>>>;

/// The start of scratch databases' names unless told otherwise.
pub const DEFAULT_PREFIX: &str = "schemareg_scratch_";

impl ScratchServer {
    /// Uses a given server; the URL's user must be able to create databases and roles.
    pub async fn connect(url: &str) -> Result<Self, ScratchError> {
        Self::with_admin(Target::parse(url)?, None).await
    }

    /// Starts a private cluster from the installed PostgreSQL binaries.
    pub async fn private() -> Result<Self, ScratchError> {
        // Starting takes seconds of waiting on processes: on a blocking thread, which works
        // on either kind of runtime.
        let cluster = tokio::task::spawn_blocking(PrivateCluster::start)
            .await
            .map_err(|e| ScratchError::Cluster(e.to_string()))??;
        let admin = Target::parse(&cluster.url())?;
        Self::with_admin(admin, Some(cluster)).await
    }

    async fn with_admin(admin: Target, cluster: Option<PrivateCluster>) -> Result<Self, ScratchError> {
        let client = admin.connect().await?;
        let version: i32 = client
            .query_one("SELECT current_setting('server_version_num')::int", &[])
            .await
            .map_err(|e| refused(&admin, "answer", &e))?
            .get(0);
        match sweep(&admin, &client).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(dropped = n, "scratch roles left by a stopped run are dropped"),
            Err(e) => tracing::warn!(error = %e, "could not sweep scratch roles"),
        }
        Ok(Self {
            admin,
            version: version as u32,
            prefix: DEFAULT_PREFIX.into(),
            templates: Templates::default(),
            ready: ready::Ready::default(),
            admission: None,
            settled: settled::Settled::default(),
            _cluster: cluster,
        })
    }

    /// Keeps up to `capacity` templates (0, the default: none).
    pub fn with_templates(mut self, capacity: usize) -> Self {
        self.templates.capacity = capacity;
        self
    }

    /// The settled form of the snapshot with this digest, if this server settled it lately.
    pub fn settled(&self, digest: &str) -> Option<Arc<schemareg_engine::Snapshot>> {
        self.settled.get(digest)
    }

    /// Remembers the settled form of the snapshot with this digest.
    pub fn keep_settled(&self, digest: &str, snapshot: Arc<schemareg_engine::Snapshot>) {
        self.settled.keep(digest, snapshot);
    }

    /// Whether templates are kept.
    pub fn keeps_templates(&self) -> bool {
        self.templates.capacity > 0
    }

    /// The template for `fingerprint`, prepared by `prepare` (given an empty database) the
    /// first time; concurrent callers with the same fingerprint wait for one preparation. A
    /// failed preparation is not kept. The least recently used template beyond the capacity is
    /// let go (dropped once no copy of it lives).
    pub async fn template<F, Fut, E>(&self, fingerprint: &str, prepare: F) -> Result<Arc<ScratchDatabase>, E>
    where
        F: FnOnce(ScratchDatabase) -> Fut,
        Fut: std::future::Future<Output = Result<ScratchDatabase, E>>,
        E: From<ScratchError>,
    {
        let cell = {
            let mut kept = self.templates.kept.lock().expect("the template list is never poisoned");
            let cell = match kept.iter().position(|(k, _)| k == fingerprint) {
                Some(i) => kept.remove(i).1,
                None => Arc::default(),
            };
            kept.push((fingerprint.to_string(), cell.clone()));
            let excess = kept.len().saturating_sub(self.templates.capacity.max(1));
            kept.drain(..excess);
            cell
        };
        let template = cell
            .get_or_try_init(|| async {
                let db = prepare(self.create_database().await?).await?;
                db.hold_as_template().await?;
                Ok::<_, E>(Arc::new(db))
            })
            .await?;
        Ok(template.clone())
    }

    /// Drops the templates and ready databases a registry that was killed left (marked, and held by no session),
    /// with their roles; returns how many.
    pub async fn sweep_templates(&self) -> Result<usize, ScratchError> {
        let client = self.admin.connect().await?;
        let rows = client
            .query(
                "SELECT datname::text FROM pg_database WHERE shobj_description(oid, 'pg_database') IN ($1, $2) ORDER BY 1",
                &[&TEMPLATE_MARK, &ready::READY_MARK],
            )
            .await
            .map_err(|e| refused(&self.admin, "list databases", &e))?;
        let mut dropped = 0;
        for row in rows {
            let name: String = row.get(0);
            // Made by this code: `<prefix><hex>`, which is also its role's name.
            if !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                continue;
            }
            let free: bool = client
                .query_one(
                    "SELECT pg_try_advisory_lock($1, hashtext($2))",
                    &[&TEMPLATE_LOCK_CLASS, &name],
                )
                .await
                .map_err(|e| refused(&self.admin, "lock a template's name", &e))?
                .get(0);
            if !free {
                continue;
            }
            match drop_database(&self.admin, &name, Some(&name), self.version >= 130000).await {
                Ok(()) => dropped += 1,
                Err(e) => tracing::warn!(database = %name, error = %e, "cannot drop a scratch template"),
            }
            let _ = client
                .query_one(
                    "SELECT pg_advisory_unlock($1, hashtext($2))",
                    &[&TEMPLATE_LOCK_CLASS, &name],
                )
                .await;
        }
        Ok(dropped)
    }

    /// Drops the templates (those a copy still uses go with their last copy).
    pub async fn drop_templates(&self) {
        let kept = std::mem::take(&mut *self.templates.kept.lock().expect("the template list is never poisoned"));
        for (_, cell) in kept {
            let template = Arc::into_inner(cell)
                .and_then(|c| c.into_inner())
                .and_then(Arc::into_inner);
            if let Some(db) = template
                && let Err(e) = db.drop_now().await
            {
                tracing::warn!(error = %e, "could not drop a scratch template");
            }
        }
    }

    /// A copy of a template, owned by the template's role (it holds no role of its own), kept
    /// alive by the copy. `many_files`: copy the files as they are (PostgreSQL 15+), which is
    /// faster for a template of many relations but makes the server checkpoint twice; else the
    /// server's default (on 15+, every block through the WAL: cheap for a small template).
    pub async fn copy_database(
        &self,
        template: &Arc<ScratchDatabase>,
        many_files: bool,
    ) -> Result<ScratchDatabase, ScratchError> {
        let name = format!("{}{}", self.prefix, crate::random_hex(8));
        let owner = template.role.as_deref().expect("a template owns its role");
        let admin = self.admin.connect().await?;
        let guard = ScratchDatabase {
            name: name.clone(),
            owner: template.owner.with_database(&name),
            admin: self.admin.clone(),
            force: self.version >= 130000,
            dropped: false,
            role: None,
            roles: tokio::sync::Mutex::new(None),
            _template: Some(template.clone()),
        };
        let strategy = if many_files && self.version >= 150000 {
            " STRATEGY FILE_COPY"
        } else {
            ""
        };
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {name} OWNER {owner} TEMPLATE {}{strategy}",
                template.name
            ))
            .await
            .map_err(|e| refused(&self.admin, "copy a database", &e))?;
        private(&self.admin, &admin, &name).await?;
        mark(&self.admin, &admin, &name).await?;
        Ok(guard)
    }

    /// Names its databases (and their roles) `<prefix><random hex>`, so that the registries or
    /// runs sharing a server can tell theirs apart: lowercase letters, digits and `_`, starting
    /// with a letter, at most 40 characters.
    pub fn with_prefix(mut self, prefix: &str) -> Result<Self, ScratchError> {
        let ok = (1..=40).contains(&prefix.len())
            && prefix.starts_with(|c: char| c.is_ascii_lowercase())
            && prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(ScratchError::Prefix(prefix.chars().take(40).collect()));
        }
        self.prefix = prefix.to_string();
        Ok(self)
    }

    /// The server's `server_version_num`.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The admin connection target (for display and tests; its password is never shown).
    pub fn admin(&self) -> &Target {
        &self.admin
    }

    /// Creates an empty database (from `template0`) owned by a new unprivileged role.
    pub async fn create_database(&self) -> Result<ScratchDatabase, ScratchError> {
        self.create_named(format!("{}{}", self.prefix, crate::random_hex(8)))
            .await
    }

    /// [`ScratchServer::create_database`], named `name` (generated here, never user text).
    async fn create_named(&self, name: String) -> Result<ScratchDatabase, ScratchError> {
        let password = crate::random_hex(16);
        let admin = self.admin.connect().await?;
        // The guard first: if this future is dropped while the role is being created (a
        // request cancelled, the other side of a diff failing), its drop removes the role.
        let guard = ScratchDatabase {
            name: name.clone(),
            owner: self.admin.with_database(&name).with_user(&name, &password),
            admin: self.admin.clone(),
            force: self.version >= 130000,
            dropped: false,
            role: Some(name.clone()),
            roles: tokio::sync::Mutex::new(None),
            _template: None,
        };
        // Both names and the password are generated here (hex), never user text.
        admin
            .batch_execute(&format!(
                "CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{password}'"
            ))
            .await
            .map_err(|e| refused(&self.admin, "create a role", &e))?;
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {name} OWNER {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
            ))
            .await
            .map_err(|e| refused(&self.admin, "create a database", &e))?;
        private(&self.admin, &admin, &name).await?;
        mark(&self.admin, &admin, &name).await?;
        Ok(guard)
    }

    /// Drops this prefix's scratch databases made more than `older_than` ago that no one is
    /// connected to: those a registry killed outright could not drop (templates have a sweep
    /// of their own). Never with `FORCE`: a database someone is still using stays. Returns how
    /// many were dropped.
    pub async fn sweep_databases(&self, older_than: std::time::Duration) -> Result<usize, ScratchError> {
        let client = self.admin.connect().await?;
        let rows = client
            .query(
                "SELECT d.datname::text, substr(shobj_description(d.oid, 'pg_database'), length($1) + 1)
                 FROM pg_database d
                 WHERE starts_with(d.datname::text, $2)
                   AND starts_with(shobj_description(d.oid, 'pg_database'), $1)
                   AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid)
                 ORDER BY 1",
                &[&SCRATCH_MARK, &self.prefix],
            )
            .await
            .map_err(|e| refused(&self.admin, "list databases", &e))?;
        let now = unix_now();
        let mut dropped = 0;
        for row in rows {
            let (name, made): (String, String) = (row.get(0), row.get(1));
            let old = made
                .trim()
                .parse::<u64>()
                .is_ok_and(|made| now.saturating_sub(made) >= older_than.as_secs());
            // Made by this code: `<prefix><hex>` (a plain one's role has its name; a copy has none).
            let ours = name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !old || !ours {
                continue;
            }
            match drop_database(&self.admin, &name, Some(&name), false).await {
                Ok(()) => dropped += 1,
                Err(e) => tracing::warn!(database = %name, error = %e, "cannot drop a scratch database left behind"),
            }
        }
        Ok(dropped)
    }

    /// Drops the marked roles that no run holds (left behind by a registry that stopped).
    pub async fn sweep_roles(&self) -> Result<usize, ScratchError> {
        let client = self.admin.connect().await?;
        sweep(&self.admin, &client).await
    }
}

/// Only its owner (and the admin) may connect to a scratch database: the roles runs share
/// (and that their owners are members of) open no other run's database.
async fn private(server: &Target, admin: &Client, name: &str) -> Result<(), ScratchError> {
    // The name is generated here (hex), never user text.
    admin
        .batch_execute(&format!("REVOKE CONNECT, TEMPORARY ON DATABASE {name} FROM PUBLIC"))
        .await
        .map_err(|e| refused(server, "keep a database private", &e))
}

/// The start of the comment that marks a scratch database; the rest is when it was made (Unix
/// seconds), so that one left behind can be told from one in use.
const SCRATCH_MARK: &str = "a schemareg scratch database, made at ";

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Marks a new scratch database with the time it was made.
async fn mark(server: &Target, admin: &Client, name: &str) -> Result<(), ScratchError> {
    // The name is generated here (hex) and the comment is a number: never user text.
    admin
        .batch_execute(&format!("COMMENT ON DATABASE {name} IS '{SCRATCH_MARK}{}'", unix_now()))
        .await
        .map_err(|e| refused(server, "mark a scratch database", &e))
}

/// The comment that marks a role made for scratch runs.
const ROLE_MARK: &str = "made by schemareg for scratch runs; dropped when no run needs it";
/// The first key of the advisory locks on role names (the second is `hashtext(name)`).
const ROLE_LOCK_CLASS: i32 = 0x5352_4f4c; // "SROL"

/// The comment that marks a template database.
const TEMPLATE_MARK: &str = "a schemareg scratch template; dropped when its registry stops";
/// The first key of the advisory locks that the registry keeping a template holds on its name.
const TEMPLATE_LOCK_CLASS: i32 = 0x5354_504c; // "STPL"

/// Drops every marked role that no run holds; returns how many.
async fn sweep(admin: &Target, client: &Client) -> Result<usize, ScratchError> {
    let rows = client
        .query(
            "SELECT rolname FROM pg_roles WHERE shobj_description(oid, 'pg_authid') = $1 ORDER BY rolname",
            &[&ROLE_MARK],
        )
        .await
        .map_err(|e| refused(admin, "list roles", &e))?;
    let mut dropped = 0;
    for row in rows {
        let role: String = row.get(0);
        let free: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock($1, hashtext($2))",
                &[&ROLE_LOCK_CLASS, &role],
            )
            .await
            .map_err(|e| refused(admin, "lock a role's name", &e))?
            .get(0);
        if !free {
            continue;
        }
        // Checked again under the lock: another run may have dropped it meanwhile.
        let outcome = client
            .query_one(
                "SELECT count(*) FROM pg_roles WHERE rolname = $1 AND shobj_description(oid, 'pg_authid') = $2",
                &[&role, &ROLE_MARK],
            )
            .await;
        if let Ok(row) = outcome
            && row.get::<_, i64>(0) == 1
        {
            // A name a snapshot gave: one statement, by the extended protocol.
            match client.execute(&format!("DROP ROLE {}", quote_ident(&role)), &[]).await {
                Ok(_) => dropped += 1,
                // Still named by an object somewhere (a database that was not dropped): kept.
                Err(e) => tracing::warn!(%role, error = %crate::pg::error_text(&e), "cannot drop a scratch role"),
            }
        }
        let _ = client
            .query_one(
                "SELECT pg_advisory_unlock($1, hashtext($2))",
                &[&ROLE_LOCK_CLASS, &role],
            )
            .await;
    }
    Ok(dropped)
}

/// A name as an SQL identifier, always quoted.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn refused(server: &Target, action: &'static str, e: &tokio_postgres::Error) -> ScratchError {
    ScratchError::Refused {
        server: server.to_string(),
        action,
        message: crate::pg::error_text(e),
    }
}
