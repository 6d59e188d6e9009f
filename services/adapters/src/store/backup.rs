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
    Ok(super::sqlite_path(url)?.0)
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

/// Makes `file` new for the registry's user alone; what exists at its path (a link too) is a
/// conflict that says `instead`.
fn new_file(file: &Path, instead: &str) -> Result<std::fs::File, StoreError> {
    crate::files::create_private(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            StoreError::Conflict(format!("{} exists (a file or a link): {instead}", file.display()))
        }
        _ => StoreError::Unavailable(format!("cannot create {}: {e}", file.display())),
    })
}

impl Store {
    /// Writes a backup of the store at `url` to `file`: a new file (nothing may be at its
    /// path, not even a link), for the registry's user alone, removed when the backup fails.
    pub async fn backup(url: &str, file: &Path) -> Result<(), StoreError> {
        let source = if is_sqlite(url) {
            let source = sqlite_file(url)?;
            if !Path::new(&source).exists() {
                return Err(StoreError::NotFound(format!("there is no store at {source}")));
            }
            Some(source)
        } else {
            None
        };
        let made = new_file(file, "a backup is written to a new file")?;
        let written = async {
            if let Some(source) = source {
                drop(made);
                sqlx::any::install_default_drivers();
                // Read-only and without the store's lock: a registry may be serving from it.
                // VACUUM INTO fills the empty file just made.
                let pool = sqlx::AnyPool::connect(&format!("sqlite://{source}?mode=ro")).await?;
                let done = sqlx::query("VACUUM INTO $1")
                    .bind(file.display().to_string())
                    .execute(&pool)
                    .await;
                pool.close().await;
                done?;
                return Ok(());
            }
            let target = crate::pg::Target::parse(url).map_err(|e| StoreError::Url(e.problem()))?;
            run(
                Command::new(tool("pg_dump")?)
                    .args(["--format=custom", "--no-owner", "--no-privileges"])
                    .envs(target.libpq_env())
                    .stdout(made),
                "pg_dump",
            )
        }
        .await;
        if written.is_err() {
            let _ = std::fs::remove_file(file);
        }
        written
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
            let mut made = new_file(
                Path::new(&dest),
                "restore into a new store file (move the old one away first)",
            )?;
            let lock = super::lock_sqlite(&format!("sqlite://{dest}"))?;
            let copied = std::fs::File::open(file).and_then(|mut backup| std::io::copy(&mut backup, &mut made));
            drop((made, lock));
            if let Err(e) = copied {
                crate::files::remove_made(Path::new(&dest));
                return Err(StoreError::Unavailable(format!("cannot write {dest}: {e}")));
            }
            // What was copied must open as a store: else nothing is left at the store's path.
            return match Store::open(url).await {
                Ok(store) => {
                    store.close().await;
                    Ok(())
                }
                Err(e) => {
                    crate::files::remove_made(Path::new(&dest));
                    Err(e)
                }
            };
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
