//! Pushes finished in the background: a push that took longer than a request waits is
//! recorded here, and its outcome (the version, or the problem) when its registry is done.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, after, now};

/// Where a push finished in the background is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushState {
    /// Its registry is still building it.
    Building,
    /// A version: new or one the service had.
    Done,
    /// Refused or failed: the problem says why.
    Failed,
}

impl PushState {
    pub fn as_str(self) -> &'static str {
        match self {
            PushState::Building => "building",
            PushState::Done => "done",
            PushState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "building" => Ok(PushState::Building),
            "done" => Ok(PushState::Done),
            "failed" => Ok(PushState::Failed),
            other => Err(StoreError::Corrupt {
                what: "push state",
                message: format!("unknown state {other:?}"),
            }),
        }
    }
}

/// A push finished in the background.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRecord {
    pub id: String,
    pub service: String,
    pub state: PushState,
    /// The version it made or found (done).
    pub version: Option<i64>,
    /// Whether that version is new (done).
    pub created: Option<bool>,
    /// The problem document (JSON) that says why it failed.
    pub problem: Option<String>,
    pub pushed_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// Until when its registry is known to work on it (building).
    pub lease_until: String,
}

impl PushRecord {
    /// Still building, and its registry has not renewed its lease in time: it stopped.
    pub fn abandoned(&self) -> bool {
        self.state == PushState::Building && self.lease_until < now()
    }
}

const COLUMNS: &str = "id, service, state, version, created, problem, pushed_by, created_at, updated_at, lease_until";

fn record(row: &AnyRow) -> Result<PushRecord, StoreError> {
    Ok(PushRecord {
        id: row.try_get("id")?,
        service: row.try_get("service")?,
        state: PushState::parse(&row.try_get::<String, _>("state")?)?,
        version: row.try_get("version")?,
        created: row.try_get::<Option<i64>, _>("created")?.map(|c| c != 0),
        problem: row.try_get("problem")?,
        pushed_by: row.try_get("pushed_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        lease_until: row.try_get("lease_until")?,
    })
}

impl Store {
    /// Records a push going on in the background, its lease `lease_secs` long.
    pub async fn begin_push(
        &self,
        id: &str,
        service: &str,
        pushed_by: &str,
        lease_secs: u64,
    ) -> Result<PushRecord, StoreError> {
        let at = now();
        let row = sqlx::query(&format!(
            "INSERT INTO pushes ({COLUMNS}) VALUES ($1, $2, $3, NULL, NULL, NULL, $4, $5, $5, $6) RETURNING {COLUMNS}"
        ))
        .bind(id)
        .bind(service)
        .bind(PushState::Building.as_str())
        .bind(pushed_by)
        .bind(&at)
        .bind(after(lease_secs))
        .fetch_one(&self.pool)
        .await?;
        record(&row)
    }

    /// Extends a building push's lease (its registry still works on it).
    pub async fn renew_push(&self, id: &str, lease_secs: u64) -> Result<(), StoreError> {
        sqlx::query("UPDATE pushes SET lease_until = $2 WHERE id = $1 AND state = $3")
            .bind(id)
            .bind(after(lease_secs))
            .bind(PushState::Building.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a push's outcome: the version (`Ok`) or the problem document (`Err`).
    pub async fn finish_push(&self, id: &str, outcome: Result<(i64, bool), String>) -> Result<(), StoreError> {
        let (state, version, created, problem) = match outcome {
            Ok((version, created)) => (PushState::Done, Some(version), Some(i64::from(created)), None),
            Err(problem) => (PushState::Failed, None, None, Some(problem)),
        };
        sqlx::query(
            "UPDATE pushes SET state = $2, version = $3, created = $4, problem = $5, updated_at = $6 \
             WHERE id = $1 AND state = $7",
        )
        .bind(id)
        .bind(state.as_str())
        .bind(version)
        .bind(created)
        .bind(problem)
        .bind(now())
        .bind(PushState::Building.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A push finished in the background.
    pub async fn push_record(&self, id: &str) -> Result<PushRecord, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM pushes WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("push {id:?} does not exist")))?;
        record(&row)
    }
}

impl Store {
    /// The version DDL with this source digest (its text and the scope it was read with) gave
    /// the service, if it was pushed before and that version is still there.
    pub async fn version_from_source(
        &self,
        service: &str,
        source_digest: &str,
    ) -> Result<Option<super::Version>, StoreError> {
        let row = sqlx::query("SELECT digest FROM pushed_sources WHERE service = $1 AND source_digest = $2")
            .bind(service)
            .bind(source_digest)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let digest: String = row.try_get("digest")?;
        self.version(service, &super::VersionRef::Digest(digest)).await
    }

    /// Remembers the version (by digest) DDL with this source digest gave the service.
    pub async fn remember_source(&self, service: &str, source_digest: &str, digest: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO pushed_sources (service, source_digest, digest) VALUES ($1, $2, $3) \
             ON CONFLICT (service, source_digest) DO UPDATE SET digest = excluded.digest",
        )
        .bind(service)
        .bind(source_digest)
        .bind(digest)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
