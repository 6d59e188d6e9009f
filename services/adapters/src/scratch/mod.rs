//! Scratch databases: throw-away databases on a server where schemareg may create and drop
//! them (`--scratch-url`), or on a private cluster it starts itself.
//!
//! Each scratch database gets its own unprivileged login role that owns it, and work in it
//! runs as that role: DDL from a user never runs as a superuser. The database and role are
//! dropped when the [`ScratchDatabase`] is dropped, whatever happened.

mod cluster;

pub use cluster::{PrivateCluster, find_bindir};

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
    _cluster: Option<PrivateCluster>,
}

impl ScratchServer {
    /// Uses a given server; the URL's user must be able to create databases and roles.
    pub async fn connect(url: &str) -> Result<Self, ScratchError> {
        Self::with_admin(Target::parse(url)?, None).await
    }

    /// Starts a private cluster from the installed PostgreSQL binaries.
    pub async fn private() -> Result<Self, ScratchError> {
        let cluster = tokio::task::block_in_place(PrivateCluster::start)?;
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
        Ok(Self {
            admin,
            version: version as u32,
            _cluster: cluster,
        })
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
        let name = format!("schemareg_scratch_{}", crate::random_hex(8));
        let password = crate::random_hex(16);
        let admin = self.admin.connect().await?;
        // Both names and the password are generated here (hex), never user text.
        admin
            .batch_execute(&format!(
                "CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{password}'"
            ))
            .await
            .map_err(|e| refused(&self.admin, "create a role", &e))?;
        let guard = ScratchDatabase {
            name: name.clone(),
            owner: self.admin.with_database(&name).with_user(&name, &password),
            admin: self.admin.clone(),
            force: self.version >= 130000,
            dropped: false,
        };
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {name} OWNER {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
            ))
            .await
            .map_err(|e| refused(&self.admin, "create a database", &e))?;
        Ok(guard)
    }

    /// Creates a role (`NOLOGIN`) that DDL refers to, if it does not exist yet. Roles are
    /// global to the server and are left in place: they hold no privileges.
    pub async fn ensure_role(&self, role: &str) -> Result<(), ScratchError> {
        let admin = self.admin.connect().await?;
        let exists = admin
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
            .await
            .map_err(|e| refused(&self.admin, "list roles", &e))?
            .is_some();
        if !exists {
            let quoted: String = admin
                .query_one("SELECT quote_ident($1)", &[&role])
                .await
                .map_err(|e| refused(&self.admin, "quote a name", &e))?
                .get(0);
            if let Err(e) = admin.batch_execute(&format!("CREATE ROLE {quoted} NOLOGIN")).await
                && e.code() != Some(&tokio_postgres::error::SqlState::DUPLICATE_OBJECT)
            {
                return Err(refused(&self.admin, "create a role", &e));
            }
        }
        Ok(())
    }
}

fn refused(server: &Target, action: &'static str, e: &tokio_postgres::Error) -> ScratchError {
    ScratchError::Refused {
        server: server.to_string(),
        action,
        message: crate::pg::error_text(e),
    }
}

/// A scratch database and its owner role; both are dropped with it.
#[derive(Debug)]
pub struct ScratchDatabase {
    name: String,
    owner: Target,
    admin: Target,
    force: bool,
    dropped: bool,
}

impl ScratchDatabase {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connects as the database's unprivileged owner.
    pub async fn connect(&self) -> Result<Client, ScratchError> {
        Ok(self.owner.connect().await?)
    }

    /// Connects as the server's admin user, to this database.
    pub async fn connect_admin(&self) -> Result<Client, ScratchError> {
        Ok(self.admin.with_database(&self.name).connect().await?)
    }

    /// Drops the database and its role.
    pub async fn drop_now(mut self) -> Result<(), ScratchError> {
        self.dropped = true;
        drop_database(&self.admin, &self.name, self.force).await
    }
}

async fn drop_database(admin: &Target, name: &str, force: bool) -> Result<(), ScratchError> {
    let client = admin.connect().await?;
    let with = if force { " WITH (FORCE)" } else { "" };
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}{with}"))
        .await
        .map_err(|e| refused(admin, "drop a database", &e))?;
    client
        .batch_execute(&format!("DROP ROLE IF EXISTS {name}"))
        .await
        .map_err(|e| refused(admin, "drop a role", &e))?;
    Ok(())
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Dropped without `drop_now` (an error or a panic on the way): clean up on a thread of
        // its own, so that this works inside and outside a runtime.
        let (admin, name, force) = (self.admin.clone(), self.name.clone(), self.force);
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match rt {
                Ok(rt) => {
                    if let Err(e) = rt.block_on(drop_database(&admin, &name, force)) {
                        tracing::warn!(database = %name, error = %e, "could not drop a scratch database");
                    }
                }
                Err(e) => tracing::warn!(database = %name, error = %e, "could not drop a scratch database"),
            }
        });
        let _ = done.join();
    }
}
