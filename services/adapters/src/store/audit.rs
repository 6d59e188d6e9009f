//! The audit log: who did what, when and from where. The store adds entries and reads them;
//! it changes one only to count another denial of a request without a valid token from the
//! same address within the same minute (one entry, not one each: a flood of anonymous
//! requests cannot fill the log), and lets go of entries older than a retention, when the
//! registry has one.

use sqlx::any::AnyRow;
use sqlx::{Acquire, AnyConnection, Row};

use super::{Store, StoreError, is_unique_violation, now};

/// An entry to append.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// The token subject, or `anonymous`.
    pub subject: String,
    /// What was done: `service.create`, `version.push`, `binding.put`, `plan.create`, `denied`, …
    pub action: String,
    /// `ok`, `denied` or `failed`.
    pub outcome: String,
    pub service: Option<String>,
    pub environment: Option<String>,
    /// The object acted on (a plan id, a version number, a path).
    pub target: Option<String>,
    /// More about it, as JSON text (never a secret).
    pub detail: String,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its place in the log, from 1, without gaps (until a retention lets old ones go).
    pub seq: i64,
    pub at: String,
    pub entry: NewAuditEntry,
    /// How many requests the entry stands for (more than one only for denials of requests
    /// without a valid token from one address within a minute), and when the last came.
    pub repeats: i64,
    pub last_at: Option<String>,
}

/// Which entries to read; unset fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub subject: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
}

const COLUMNS: &str =
    "seq, at, subject, action, outcome, service, environment, target, detail, address, user_agent, request_id";
const READ_COLUMNS: &str = "seq, at, subject, action, outcome, service, environment, target, detail, address, \
                            user_agent, request_id, repeats, last_at";

/// The subject of a request without a valid token.
pub const ANONYMOUS: &str = "anonymous";

fn entry(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        entry: NewAuditEntry {
            subject: row.try_get("subject")?,
            action: row.try_get("action")?,
            outcome: row.try_get("outcome")?,
            service: row.try_get("service")?,
            environment: row.try_get("environment")?,
            target: row.try_get("target")?,
            detail: row.try_get("detail")?,
            address: row.try_get("address")?,
            user_agent: row.try_get("user_agent")?,
            request_id: row.try_get("request_id")?,
        },
        repeats: row.try_get("repeats")?,
        last_at: row.try_get("last_at")?,
    })
}

impl Store {
    /// Appends an entry (see [`append_audit_in`]).
    pub async fn append_audit(&self, e: &NewAuditEntry) -> Result<i64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        append_audit_in(&mut conn, e).await
    }

    /// Records a denial of a request without a valid token: counted in the entry of the same
    /// address from this minute when there is one, else appended.
    pub async fn append_anonymous_denial(&self, e: &NewAuditEntry) -> Result<i64, StoreError> {
        if let Some(address) = e.address.as_deref() {
            let at = now();
            // `at` is RFC 3339 UTC (`2026-11-25T10:00:00.000Z`): its minute is its first 16
            // characters.
            let minute = format!("{}:00.000Z", &at[..16.min(at.len())]);
            let counted = sqlx::query(
                "UPDATE audit SET repeats = repeats + 1, last_at = $1 WHERE seq = ( \
                   SELECT MAX(seq) FROM audit WHERE address = $2 AND subject = $3 AND action = $4 AND at >= $5) \
                 RETURNING seq",
            )
            .bind(&at)
            .bind(address)
            .bind(ANONYMOUS)
            .bind(&e.action)
            .bind(&minute)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(row) = counted {
                return Ok(row.try_get("seq")?);
            }
        }
        self.append_audit(e).await
    }

    /// Counts `n` more requests in entry `seq` (denials without a valid token, counted by
    /// the registry that holds them).
    pub async fn count_repeats(&self, seq: i64, n: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE audit SET repeats = repeats + $1, last_at = $2 WHERE seq = $3")
            .bind(n)
            .bind(now())
            .bind(seq)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Lets go of the entries made before `before` (RFC 3339), keeping the newest entry
    /// whatever its age (so the numbers go on from it); returns how many.
    pub async fn forget_audit_before(&self, before: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM audit WHERE at < $1 AND seq < (SELECT MAX(seq) FROM audit)")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Entries in log order after `after` (a sequence number), at most `limit`.
    pub async fn audit_entries(
        &self,
        filter: &AuditFilter,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {READ_COLUMNS} FROM audit WHERE seq > $1 \
             AND ($2 = '' OR subject = $2) AND ($3 = '' OR action = $3) AND ($4 = '' OR outcome = $4) \
             AND ($5 = '' OR service = $5) AND ($6 = '' OR environment = $6) \
             ORDER BY seq LIMIT $7"
        ))
        .bind(after.unwrap_or(0))
        .bind(filter.subject.as_deref().unwrap_or(""))
        .bind(filter.action.as_deref().unwrap_or(""))
        .bind(filter.outcome.as_deref().unwrap_or(""))
        .bind(filter.service.as_deref().unwrap_or(""))
        .bind(filter.environment.as_deref().unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry).collect()
    }
}

/// Appends `entries` on `conn` in order, inside the caller's transaction: a change and the
/// entries that record it are written together or not at all.
pub(crate) async fn append_all_in(conn: &mut AnyConnection, entries: &[NewAuditEntry]) -> Result<(), StoreError> {
    for e in entries {
        append_audit_in(conn, e).await?;
    }
    Ok(())
}

/// Appends an entry on `conn` (inside the caller's transaction, when it has one): its number is
/// the next in the log (one statement per try, each in a savepoint of its own, tried again
/// when another entry took that number) and its time never goes before the entry ahead of it,
/// so log order is time order.
pub(crate) async fn append_audit_in(conn: &mut AnyConnection, e: &NewAuditEntry) -> Result<i64, StoreError> {
    for _ in 0..50 {
        let mut savepoint = conn.begin().await?;
        let result = sqlx::query(&format!(
            "INSERT INTO audit ({COLUMNS}) \
             SELECT COALESCE(MAX(seq), 0) + 1, CASE WHEN MAX(at) > $1 THEN MAX(at) ELSE $1 END, \
             $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM audit \
             RETURNING seq"
        ))
        .bind(now())
        .bind(&e.subject)
        .bind(&e.action)
        .bind(&e.outcome)
        .bind(e.service.as_deref())
        .bind(e.environment.as_deref())
        .bind(e.target.as_deref())
        .bind(&e.detail)
        .bind(e.address.as_deref())
        .bind(e.user_agent.as_deref())
        .bind(e.request_id.as_deref())
        .fetch_one(&mut *savepoint)
        .await;
        match result {
            Ok(row) => {
                let seq = row.try_get("seq")?;
                savepoint.commit().await?;
                return Ok(seq);
            }
            Err(err) if is_unique_violation(&err) => {
                savepoint.rollback().await?;
                continue;
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::Unavailable(
        "too many concurrent audit entries: try again".into(),
    ))
}
