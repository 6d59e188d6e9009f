//! The registry's own store: services, versions, environments, bindings and plans.
//!
//! One implementation over sqlx's `Any` driver serves both backends: SQLite (embedded, the
//! default) and PostgreSQL (`postgres://…`, for several replicas). The SQL is portable (text and
//! bigint columns, `$n` parameters, writes of one statement or one short transaction), so both backends run the same
//! migrations and the same store test suite; [`Backend`] names the rare places they differ.

mod approvals;
mod audit;
mod backup;
mod environments;
mod idempotency;
mod locks;
mod outbox;
mod overview;
mod plans;
mod policies;
mod pushes;
mod services;
mod sessions;
mod transitions;
mod versions;
mod webhooks;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

pub use approvals::Approval;
pub use audit::{ANONYMOUS, AuditEntry, AuditFilter, NewAuditEntry};
pub use environments::{Binding, DriftChange, DriftRecord, DriftState, Environment, NewBinding, SecretKind};
pub use idempotency::{Claim, KeptAnswer};
pub use outbox::{Event, EventKind, NewEvent};
pub use overview::{BindingGlance, DriftGlance, OverviewRead, PendingGlance, ServiceGlance};
pub use plans::{FinishedApply, NewPlan, PlanBody, PlanOutcome, PlanRecord, PlanState};
pub use policies::StoredPolicy;
pub use pushes::{PushRecord, PushState};
pub use services::{NewService, ScopeSpec, Service};
pub use sessions::UiSession;
pub use transitions::{AuditAction, drift_transition, plan_events};
pub use versions::{NewVersion, Pushed, Version, VersionRef};
pub use webhooks::{Attempt, Delivery, DeliveryState, DueDelivery, NewWebhook, Tried, Webhook, WebhookChange};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Which database holds the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Why the store could not answer. Messages never hold the store's URL.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store URL must start with sqlite:// or postgres://, not {0:?}")]
    Url(String),
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("the store's migrations failed: {0}")]
    Migrate(String),
    /// Another process holds the SQLite store.
    #[error(
        "another schemareg process uses the SQLite store {0}: SQLite serves one process; stop the other one, or give \
         several replicas a PostgreSQL store (store_url = postgres://…)"
    )]
    InUse(String),
    /// The store was migrated by a newer binary.
    #[error(
        "the store was written by a newer schemareg: it has store migration {found}, this binary knows migrations up \
         to {known}; run the newer binary, or restore a backup this one made"
    )]
    Newer { found: i64, known: i64 },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    /// A write named a version that is no longer the current one.
    #[error("{0}")]
    Stale(String),
    #[error("the store holds a malformed {what}: {message}")]
    Corrupt { what: &'static str, message: String },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Unavailable(crate::pg::redact(&e.to_string()))
    }
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

/// The store: a connection pool and its backend.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Orders the events this process writes within one millisecond.
    sequence: Arc<AtomicU64>,
    /// Ends the sequence of every event this process writes, so that two registries sharing
    /// the store never write the same one (their counters run side by side).
    writer: Arc<str>,
    /// Told when this process writes an event.
    events_written: Arc<tokio::sync::Notify>,
    /// A SQLite store's lock file, held while the store is open: one process at a time.
    exclusive: Arc<std::sync::Mutex<Option<nix::fcntl::Flock<std::fs::File>>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

impl Store {
    /// Opens the store at `url` and brings its schema up to date. A SQLite file (and its
    /// folder) is created when missing.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let lower = url.to_ascii_lowercase();
        let mut exclusive = None;
        let (backend, url) = if lower.starts_with("sqlite:") {
            let url = sqlite_url(url)?;
            exclusive = Some(lock_sqlite(&url)?);
            (Backend::Sqlite, url)
        } else if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::Url(crate::pg::redact(url)));
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(&url)
            .await?;
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
        }
        MIGRATOR.run(&pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::VersionMissing(found) => StoreError::Newer {
                found,
                known: Self::schema_version(),
            },
            e => StoreError::Migrate(crate::pg::redact(&e.to_string())),
        })?;
        Ok(Store {
            pool,
            backend,
            sequence: Arc::default(),
            writer: crate::random_hex(10).into(),
            events_written: Arc::default(),
            exclusive: Arc::new(std::sync::Mutex::new(exclusive)),
        })
    }

    /// The latest store migration this binary knows.
    pub fn schema_version() -> i64 {
        MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Whether the store answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.exclusive.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

/// Takes the lock file beside a SQLite store (`store.db.lock`), held until the store is
/// closed or the process ends: a second process on the same file is refused instead of
/// corrupting it (SQLite's own locks keep writes whole, not two registries' leases and
/// claims apart).
fn lock_sqlite(url: &str) -> Result<nix::fcntl::Flock<std::fs::File>, StoreError> {
    let path = url.trim_start_matches("sqlite://");
    let file = path.split('?').next().unwrap_or(path);
    let lock_path = format!("{file}.lock");
    use std::os::unix::fs::OpenOptionsExt;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(&lock_path)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {lock_path}: {e}")))?;
    nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|_| StoreError::InUse(file.to_string()))
}

/// The file of a `sqlite:` URL (its folder made when missing), and the URL's path with its
/// query.
fn sqlite_path(url: &str) -> Result<(String, String), StoreError> {
    let rest = url.split_once(':').map(|x| x.1).unwrap_or("");
    let path = rest.trim_start_matches("//");
    let file = path.split('?').next().unwrap_or("");
    if file.is_empty() || file == ":memory:" {
        return Err(StoreError::Url(
            "sqlite needs a file (sqlite://data/schemareg.db): an in-memory store is lost on restart".into(),
        ));
    }
    if let Some(dir) = std::path::Path::new(file)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
    }
    Ok((file.to_string(), path.to_string()))
}

/// `sqlite://path` with the file created when missing (and its folder).
fn sqlite_url(url: &str) -> Result<String, StoreError> {
    let (file, path) = sqlite_path(url)?;
    let (file, path) = (file.as_str(), path.as_str());
    // Made here for the registry's user alone (SQLite makes its WAL and shared memory files
    // with the store's mode), unless opened read-only.
    if !path.contains("mode=ro") {
        crate::files::ensure_private(std::path::Path::new(file))
            .map_err(|e| StoreError::Unavailable(format!("cannot create {file}: {e}")))?;
    }
    Ok(if path.contains("mode=") {
        format!("sqlite://{path}")
    } else if path.contains('?') {
        format!("sqlite://{path}&mode=rwc")
    } else {
        format!("sqlite://{path}?mode=rwc")
    })
}

/// The current time as RFC 3339 in UTC, to the millisecond.
pub fn now() -> String {
    timestamp(time::OffsetDateTime::now_utc())
}

/// A time as RFC 3339 in UTC with exactly three decimals (`2026-11-25T10:00:00.000Z`): one
/// width for every value, so that text order is time order in both backends.
pub fn timestamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// The time `secs` seconds from now, as [`timestamp`].
pub fn after(secs: u64) -> String {
    timestamp(time::OffsetDateTime::now_utc() + std::time::Duration::from_secs(secs))
}

pub(crate) fn json_column<T: serde::de::DeserializeOwned>(what: &'static str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        message: e.to_string(),
    })
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("store values serialise")
}

#[cfg(test)]
mod tests {
    use super::timestamp;

    #[test]
    fn timestamps_have_one_width_so_text_order_is_time_order() {
        let at = |nanos: i128| timestamp(time::OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap());
        assert_eq!(at(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(1_500_000_000), "1970-01-01T00:00:01.500Z");
        assert_eq!(at(1_764_064_800_123_456_789), "2025-11-25T10:00:00.123Z");
        assert!(at(0) < at(100_000_000), "a whole second sorts before its tenths");
    }
}
