//! Versions: immutable, numbered, content-addressed snapshots of a service.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{NewAuditEntry, NewEvent, Store, StoreError, is_unique_violation, json_column, now, to_json};

/// A version to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    pub digest: String,
    /// The snapshot's canonical JSON.
    pub snapshot: String,
    /// How it came in: `json` or `sql`.
    pub source: String,
    pub pushed_by: String,
    pub commit: Option<String>,
    pub pipeline_url: Option<String>,
    pub labels: BTreeMap<String, String>,
}

/// A stored version (without its snapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub service: String,
    pub number: i64,
    pub digest: String,
    pub source: String,
    pub pushed_by: String,
    pub commit: Option<String>,
    pub pipeline_url: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub created_at: String,
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub version: Version,
    /// A new version; false when the digest was already there.
    pub created: bool,
}

/// How a version is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionRef {
    Number(i64),
    Latest,
    Digest(String),
}

impl std::fmt::Display for VersionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionRef::Number(n) => write!(f, "{n}"),
            VersionRef::Latest => f.write_str("latest"),
            VersionRef::Digest(d) => f.write_str(d),
        }
    }
}

const COLUMNS: &str = "service, number, digest, source, pushed_by, commit_sha, pipeline_url, labels, created_at";

fn version(row: &AnyRow) -> Result<Version, StoreError> {
    Ok(Version {
        service: row.try_get("service")?,
        number: row.try_get("number")?,
        digest: row.try_get("digest")?,
        source: row.try_get("source")?,
        pushed_by: row.try_get("pushed_by")?,
        commit: row.try_get("commit_sha")?,
        pipeline_url: row.try_get("pipeline_url")?,
        labels: json_column("version labels", &row.try_get::<String, _>("labels")?)?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Pushes a snapshot: a new number when its digest is new to the service, else the version
    /// that already has it. One statement per try, so concurrent pushes of one snapshot make
    /// one version; a lost race for a number is tried again. A new version is written with its
    /// event and the audit entries `audit` makes of it; a push of a version already there is a
    /// read, and writes neither.
    pub async fn push_version(
        &self,
        service: &str,
        new: &NewVersion,
        audit: impl FnOnce(&Version) -> Vec<NewAuditEntry> + Send,
    ) -> Result<Pushed, StoreError> {
        for _ in 0..50 {
            // One transaction per try: the version and its `version.pushed` event, or neither.
            let mut tx = self.pool.begin().await?;
            let result = sqlx::query(&format!(
                "INSERT INTO versions (service, number, digest, snapshot, source, pushed_by, commit_sha, \
                 pipeline_url, labels, created_at) \
                 SELECT $1, COALESCE(MAX(number), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9 \
                 FROM versions WHERE service = $1 \
                 ON CONFLICT (service, digest) DO NOTHING RETURNING {COLUMNS}"
            ))
            .bind(service)
            .bind(&new.digest)
            .bind(&new.snapshot)
            .bind(&new.source)
            .bind(&new.pushed_by)
            .bind(new.commit.as_deref())
            .bind(new.pipeline_url.as_deref())
            .bind(to_json(&new.labels))
            .bind(now())
            .fetch_optional(&mut *tx)
            .await;
            let created = match result {
                Ok(Some(row)) => {
                    let pushed = version(&row)?;
                    self.write_events(&mut tx, &[NewEvent::version(&pushed)]).await?;
                    super::audit::append_all_in(&mut tx, &audit(&pushed)).await?;
                    tx.commit().await?;
                    return Ok(Pushed {
                        version: pushed,
                        created: true,
                    });
                }
                Ok(None) => false,
                Err(e) if is_unique_violation(&e) => false,
                Err(e) => return Err(e.into()),
            };
            drop(tx);
            if let Some(version) = self.version(service, &VersionRef::Digest(new.digest.clone())).await? {
                return Ok(Pushed { version, created });
            }
        }
        Err(StoreError::Unavailable(format!(
            "too many concurrent pushes to service {service:?}: try again"
        )))
    }

    /// A version by number, digest, or the latest.
    pub async fn version(&self, service: &str, at: &VersionRef) -> Result<Option<Version>, StoreError> {
        let query = match at {
            VersionRef::Number(n) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM versions WHERE service = $1 AND number = $2"
                ))
                .bind(service)
                .bind(*n)
                .fetch_optional(&self.pool)
                .await?
            }
            VersionRef::Digest(d) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM versions WHERE service = $1 AND digest = $2"
                ))
                .bind(service)
                .bind(d.as_str())
                .fetch_optional(&self.pool)
                .await?
            }
            VersionRef::Latest => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM versions WHERE service = $1 ORDER BY number DESC LIMIT 1"
                ))
                .bind(service)
                .fetch_optional(&self.pool)
                .await?
            }
        };
        query.as_ref().map(version).transpose()
    }

    /// The version, or a not-found error that names it.
    pub async fn existing_version(&self, service: &str, at: &VersionRef) -> Result<Version, StoreError> {
        self.version(service, at).await?.ok_or_else(|| {
            StoreError::NotFound(match at {
                VersionRef::Latest => format!("service {service:?} has no versions yet"),
                _ => format!("service {service:?} has no version {at}"),
            })
        })
    }

    /// The snapshot JSON of a version.
    pub async fn snapshot(&self, service: &str, number: i64) -> Result<String, StoreError> {
        let row = sqlx::query("SELECT snapshot FROM versions WHERE service = $1 AND number = $2")
            .bind(service)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("service {service:?} has no version {number}")))?;
        Ok(row.try_get("snapshot")?)
    }

    /// Versions newest first, below number `before` when given, at most `limit`.
    pub async fn versions(&self, service: &str, before: Option<i64>, limit: i64) -> Result<Vec<Version>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM versions WHERE service = $1 AND number < $2 ORDER BY number DESC LIMIT $3"
        ))
        .bind(service)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version).collect()
    }

    /// The latest version of every service that has one, by service.
    pub async fn latest_versions(&self) -> Result<std::collections::BTreeMap<String, Version>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM versions v \
             WHERE number = (SELECT MAX(number) FROM versions w WHERE w.service = v.service)"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| version(r).map(|v| (v.service.clone(), v)))
            .collect()
    }

    /// How many versions the service has.
    pub async fn version_count(&self, service: &str) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM versions WHERE service = $1")
            .bind(service)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }
}
