//! Backups of the store, and restoring one into a new store. SQLite: `VACUUM INTO` a file (a
//! consistent copy, also while a registry serves), restored by copying it into place while no
//! process holds the store. PostgreSQL: `pg_dump --format=custom` of the store's database,
//! restored with `pg_restore` into an empty database. Either way the restored store is opened
//! once, so that a backup made by an older binary is migrated and one made by a newer binary
//! is refused.

use std::path::Path;
use std::process::Command;

use super::{Store, StoreError};

fn sqlite_file(url: &str) -> Result<String, StoreError> {
    let url = super::sqlite_url(url)?;
    let path = url.trim_start_matches("sqlite://");
    Ok(path.split('?').next().unwrap_or(path).to_string())
}

fn is_sqlite(url: &str) -> bool {
    url.to_ascii_lowercase().starts_with("sqlite:")
}

fn tool(name: &str) -> Result<std::path::PathBuf, StoreError> {
    crate::scratch::find_bindir()
        .map(|dir| dir.join(name))
        .map_err(|e| StoreError::Unavailable(format!("{name} is needed to back up a PostgreSQL store: {e}")))
}

/// Runs a PostgreSQL client tool; its error output (URLs redacted) when it fails.
fn run(cmd: &mut Command, what: &str) -> Result<(), StoreError> {
    let out = cmd
        .output()
        .map_err(|e| StoreError::Unavailable(format!("cannot run {what}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(StoreError::Unavailable(format!(
            "{what} failed: {}",
            crate::pg::redact(String::from_utf8_lossy(&out.stderr).trim())
        )))
    }
}

impl Store {
    /// Writes a backup of the store at `url` to `file` (which must not exist yet).
    pub async fn backup(url: &str, file: &Path) -> Result<(), StoreError> {
        if file.exists() {
            return Err(StoreError::Conflict(format!(
                "{} exists: a backup is written to a new file",
                file.display()
            )));
        }
        if is_sqlite(url) {
            sqlx::any::install_default_drivers();
            let source = sqlite_file(url)?;
            if !Path::new(&source).exists() {
                return Err(StoreError::NotFound(format!("there is no store at {source}")));
            }
            // Read-only and without the store's lock: a registry may be serving from it.
            let pool = sqlx::AnyPool::connect(&format!("sqlite://{source}?mode=ro")).await?;
            sqlx::query("VACUUM INTO $1")
                .bind(file.display().to_string())
                .execute(&pool)
                .await?;
            pool.close().await;
            return Ok(());
        }
        let target = crate::pg::Target::parse(url).map_err(|e| StoreError::Url(e.problem()))?;
        run(
            Command::new(tool("pg_dump")?)
                .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(file)
                .envs(target.libpq_env()),
            "pg_dump",
        )
    }

    /// Restores the backup `file` into the new store at `url`: a SQLite file that does not
    /// exist yet, or an empty PostgreSQL database. The restored store is opened once (migrated
    /// when the backup is older than this binary; refused when it is newer).
    pub async fn restore(url: &str, file: &Path) -> Result<(), StoreError> {
        if !file.is_file() {
            return Err(StoreError::NotFound(format!(
                "there is no backup at {}",
                file.display()
            )));
        }
        if is_sqlite(url) {
            let dest = sqlite_file(url)?;
            if Path::new(&dest).exists() {
                return Err(StoreError::Conflict(format!(
                    "{dest} exists: restore into a new store file (move the old one away first)"
                )));
            }
            let lock = super::lock_sqlite(&format!("sqlite://{dest}"))?;
            std::fs::copy(file, &dest).map_err(|e| StoreError::Unavailable(format!("cannot write {dest}: {e}")))?;
            drop(lock);
        } else {
            let target = crate::pg::Target::parse(url).map_err(|e| StoreError::Url(e.problem()))?;
            let client = target
                .connect()
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            let tables: i64 = client
                .query_one(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE c.relkind = 'r' AND n.nspname = 'public'",
                    &[],
                )
                .await
                .map_err(|e| StoreError::Unavailable(crate::pg::error_text(&e)))?
                .get(0);
            if tables > 0 {
                return Err(StoreError::Conflict(format!(
                    "the database at {} has tables: restore into an empty database",
                    target.host()
                )));
            }
            run(
                Command::new(tool("pg_restore")?)
                    .args([
                        "--no-owner",
                        "--no-privileges",
                        "--single-transaction",
                        "--exit-on-error",
                    ])
                    .arg(format!("--dbname={}", target.database()))
                    .envs(target.libpq_env())
                    .arg(file),
                "pg_restore",
            )?;
        }
        Store::open(url).await?.close().await;
        Ok(())
    }
}
