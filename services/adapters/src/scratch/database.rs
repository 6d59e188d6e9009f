//! A scratch database: its unprivileged owner role, the roles its DDL names (leased while it
//! lives), and its dropping, whatever happened.

use std::sync::Arc;

use tokio_postgres::Client;

use super::{
    ROLE_LOCK_CLASS, ROLE_MARK, ScratchError, TEMPLATE_LOCK_CLASS, TEMPLATE_MARK, quote_ident, refused, sweep,
};
use crate::pg::Target;

/// A scratch database and its owner role; both are dropped with it, and the roles it took
/// ([`ScratchDatabase::ensure_role`]) are given back. A copy of a template has no role of its
/// own (it belongs to the template's) and keeps the template alive.
#[derive(Debug)]
pub struct ScratchDatabase {
    pub(super) name: String,
    pub(super) owner: Target,
    pub(super) admin: Target,
    pub(super) force: bool,
    pub(super) dropped: bool,
    /// The role made for it (dropped with it); none for a copy.
    pub(super) role: Option<String>,
    pub(super) roles: tokio::sync::Mutex<Option<Client>>,
    /// Dropped after this database (the last copy lets its template go).
    pub(super) _template: Option<Arc<ScratchDatabase>>,
}

impl ScratchDatabase {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connects as the database's unprivileged owner.
    pub async fn connect(&self) -> Result<Client, ScratchError> {
        Ok(self.owner.connect().await?)
    }

    /// Connects as the server's admin user, to this database. The database's owner may have
    /// set a `search_path` for it (`ALTER DATABASE … SET`) that puts its own functions and
    /// operators before PostgreSQL's: the admin's session searches `pg_catalog` alone.
    pub async fn connect_admin(&self) -> Result<Client, ScratchError> {
        let client = self.admin.with_database(&self.name).connect().await?;
        client
            .execute("SET search_path = pg_catalog, pg_temp", &[])
            .await
            .map_err(|e| refused(&self.admin, "set the admin's search_path", &e))?;
        Ok(client)
    }

    /// Makes sure a role that the DDL names exists while this database lives: holds a shared
    /// lock on its name (so that no other run drops it) and creates it, `NOLOGIN` and marked,
    /// when it is missing. Returns whether it is a role made for runs (the database's owner is
    /// then a member of it), not one of the server's own.
    pub async fn ensure_role(&self, role: &str) -> Result<bool, ScratchError> {
        let mut leases = self.roles.lock().await;
        if leases.is_none() {
            *leases = Some(self.admin.connect().await?);
        }
        let client = leases.as_ref().expect("just connected");
        client
            .query_one(
                "SELECT pg_advisory_lock_shared($1, hashtext($2))",
                &[&ROLE_LOCK_CLASS, &role],
            )
            .await
            .map_err(|e| refused(&self.admin, "lock a role's name", &e))?;
        let exists = client
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
            .await
            .map_err(|e| refused(&self.admin, "list roles", &e))?
            .is_some();
        if !exists {
            // A name a snapshot gave: quoted, and each statement on its own by the extended
            // protocol, which refuses a second. Made and marked in one transaction: another
            // run never sees it unmarked (as one of the server's own roles).
            let quoted = quote_ident(role);
            let create = format!("CREATE ROLE {quoted} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT");
            let mark = format!("COMMENT ON ROLE {quoted} IS '{ROLE_MARK}'");
            let made = async {
                client.execute("BEGIN", &[]).await?;
                client.execute(&create, &[]).await?;
                client.execute(&mark, &[]).await?;
                client.execute("COMMIT", &[]).await
            }
            .await;
            // Made by another run meanwhile: PostgreSQL says so as a duplicate or, when both
            // were creating it at once, as a unique violation in pg_authid.
            use tokio_postgres::error::SqlState;
            if let Err(e) = made {
                let _ = client.execute("ROLLBACK", &[]).await;
                let refused_name = [SqlState::RESERVED_NAME, SqlState::INVALID_NAME, SqlState::NAME_TOO_LONG]
                    .iter()
                    .any(|c| e.code() == Some(c));
                if refused_name {
                    return Err(ScratchError::RoleRefused {
                        role: role.to_string(),
                        message: crate::pg::error_text(&e),
                    });
                }
                if e.code() != Some(&SqlState::DUPLICATE_OBJECT) && e.code() != Some(&SqlState::UNIQUE_VIOLATION) {
                    return Err(refused(&self.admin, "create a role", &e));
                }
            }
        }
        // The database's owner is made a member of the roles made for runs (never of the
        // server's own), so that the DDL may give them objects (`OWNER TO`) and still manage
        // those objects, as the role that applies a plan would.
        let marked: bool = client
            .query_one(
                "SELECT COALESCE(shobj_description(oid, 'pg_authid') = $1, false) FROM pg_roles WHERE rolname = $2",
                &[&ROLE_MARK, &role],
            )
            .await
            .map_err(|e| refused(&self.admin, "list roles", &e))?
            .get(0);
        if marked {
            client
                .execute(
                    &format!("GRANT {} TO {}", quote_ident(role), quote_ident(self.owner.user())),
                    &[],
                )
                .await
                .map_err(|e| refused(&self.admin, "make the scratch owner a member of a role", &e))?;
        }
        Ok(marked)
    }

    /// Marks the database as a template and holds a lock on its name for as long as it lives
    /// (on the session that holds its roles), so that a registry that was killed leaves it
    /// to [`ScratchServer::sweep_templates`] and a live one keeps it.
    pub(super) async fn hold_as_template(&self) -> Result<(), ScratchError> {
        let mut leases = self.roles.lock().await;
        if leases.is_none() {
            *leases = Some(self.admin.connect().await?);
        }
        let client = leases.as_ref().expect("just connected");
        client
            .query_one(
                "SELECT pg_advisory_lock($1, hashtext($2))",
                &[&TEMPLATE_LOCK_CLASS, &self.name],
            )
            .await
            .map_err(|e| refused(&self.admin, "lock a template's name", &e))?;
        // By its owner (an admin that is not a superuser may not comment on it). The name is
        // generated here (hex), never user text.
        self.connect()
            .await?
            .batch_execute(&format!("COMMENT ON DATABASE {} IS '{TEMPLATE_MARK}'", self.name))
            .await
            .map_err(|e| refused(&self.admin, "mark a template", &e))?;
        Ok(())
    }

    /// Drops the database and its role, and gives back the roles it took.
    pub async fn drop_now(mut self) -> Result<(), ScratchError> {
        self.dropped = true;
        let dropped = drop_database(&self.admin, &self.name, self.role.as_deref(), self.force).await;
        let leases = self.roles.get_mut().take();
        release_roles(&self.admin, leases).await;
        dropped
    }
}

/// Gives back the role locks of a run (by ending its lock session) and drops the marked roles
/// nobody holds any more.
async fn release_roles(admin: &Target, leases: Option<Client>) {
    let Some(client) = leases else { return };
    let swept = async {
        client
            .batch_execute("SELECT pg_advisory_unlock_all()")
            .await
            .map_err(|e| refused(admin, "unlock role names", &e))?;
        sweep(admin, &client).await
    };
    match tokio::time::timeout(std::time::Duration::from_secs(10), swept).await {
        Ok(Ok(n)) if n > 0 => tracing::debug!(dropped = n, "scratch roles dropped"),
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "could not drop scratch roles"),
        Err(_) => tracing::warn!("dropping scratch roles took too long; the next run drops them"),
    }
}

pub(super) async fn drop_database(
    admin: &Target,
    name: &str,
    role: Option<&str>,
    force: bool,
) -> Result<(), ScratchError> {
    let client = admin.connect().await?;
    let with = if force { " WITH (FORCE)" } else { "" };
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}{with}"))
        .await
        .map_err(|e| refused(admin, "drop a database", &e))?;
    if let Some(role) = role {
        client
            .batch_execute(&format!("DROP ROLE IF EXISTS {role}"))
            .await
            .map_err(|e| refused(admin, "drop a role", &e))?;
    }
    Ok(())
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Dropped without `drop_now` (an error or a panic on the way): clean up on a thread of
        // its own, so that this works inside and outside a runtime. The role locks' session
        // ends with its client; the roles are swept on a fresh connection (a role still locked
        // because that session has not ended yet is swept by the next run).
        let (admin, name, role, force) = (self.admin.clone(), self.name.clone(), self.role.clone(), self.force);
        let had_roles = self.roles.get_mut().take().is_some();
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match rt {
                Ok(rt) => {
                    if let Err(e) = rt.block_on(drop_database(&admin, &name, role.as_deref(), force)) {
                        tracing::warn!(database = %name, error = %e, "could not drop a scratch database");
                    }
                    if had_roles {
                        rt.block_on(async {
                            if let Ok(client) = admin.connect().await {
                                release_roles(&admin, Some(client)).await;
                            }
                        });
                    }
                }
                Err(e) => tracing::warn!(database = %name, error = %e, "could not drop a scratch database"),
            }
        });
        let _ = done.join();
    }
}
