//! Environments (an ordered chain) and each service's binding to a database in each of them.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::services::ScopeSpec;
use super::{
    AuditAction, NewAuditEntry, NewEvent, Store, StoreError, after, drift_transition, is_unique_violation, json_column,
    now, to_json,
};

/// An environment in the promotion chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    /// Its place in the chain, from 1.
    pub position: i64,
    pub created_at: String,
}

/// How a binding's database URL is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// Encrypted with the registry's key; the store holds only the ciphertext.
    Encrypted,
    /// The name of an environment variable of the registry process.
    Env,
    /// The path of a file on the registry's machine.
    File,
}

impl SecretKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Encrypted => "encrypted",
            SecretKind::Env => "env",
            SecretKind::File => "file",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "encrypted" => Ok(SecretKind::Encrypted),
            "env" => Ok(SecretKind::Env),
            "file" => Ok(SecretKind::File),
            other => Err(StoreError::Corrupt {
                what: "secret kind",
                message: other.to_string(),
            }),
        }
    }
}

/// A binding to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBinding {
    pub secret_kind: SecretKind,
    /// The ciphertext, or the reference (variable name, file path).
    pub secret: String,
    /// The database's host, shown in answers (never the URL).
    pub host: Option<String>,
    pub scope: ScopeSpec,
    pub updated_by: String,
}

/// What a drift check found: the live database equals the version, or it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftState {
    InSync,
    Drifted,
    /// The database could not be read: nothing is known of it (never taken for in sync).
    Unknown,
}

impl DriftState {
    pub const ALL: [DriftState; 3] = [DriftState::InSync, DriftState::Drifted, DriftState::Unknown];

    /// In sync when nothing differs.
    pub fn of(differences: usize) -> Self {
        if differences == 0 {
            DriftState::InSync
        } else {
            DriftState::Drifted
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DriftState::InSync => "in_sync",
            DriftState::Drifted => "drifted",
            DriftState::Unknown => "unknown",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, StoreError> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| StoreError::Corrupt {
                what: "drift state",
                message: s.to_string(),
            })
    }
}

/// The last drift check of a binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftRecord {
    pub state: DriftState,
    pub version: Option<i64>,
    pub checked_at: String,
    pub fingerprint: Option<String>,
    /// What differs, as the typed changes (a JSON array), when the check read the database.
    pub changes: Option<String>,
    /// Those changes as a SQL script.
    pub sql: Option<String>,
    /// How many changes.
    pub changed: Option<i64>,
    /// Why the database could not be read (`unknown`).
    pub reason: Option<String>,
    /// When a check last read the database (an `unknown` check keeps the time before).
    pub ok_at: Option<String>,
}

/// A drift check's change of state, as the store decided it: what the audit log calls it,
/// and the state the binding was in before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DriftChange {
    pub action: AuditAction,
    pub before: Option<DriftState>,
}

/// A service's database in an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub service: String,
    pub environment: String,
    pub secret_kind: SecretKind,
    pub secret: String,
    pub host: Option<String>,
    pub scope: ScopeSpec,
    pub updated_by: String,
    pub updated_at: String,
    pub drift: Option<DriftRecord>,
    /// The newest version the live database was found equal to.
    pub verified_version: Option<i64>,
    pub applied_version: Option<i64>,
}

const BINDING_COLUMNS: &str = "service, environment, secret_kind, secret, host, scope, updated_by, updated_at, \
     drift_state, drift_version, drift_checked_at, live_fingerprint, verified_version, applied_version, \
     drift_changes, drift_sql, drift_changed, drift_reason, drift_ok_at";

fn binding(row: &AnyRow) -> Result<Binding, StoreError> {
    let drift_state: Option<String> = row.try_get("drift_state")?;
    Ok(Binding {
        service: row.try_get("service")?,
        environment: row.try_get("environment")?,
        secret_kind: SecretKind::parse(&row.try_get::<String, _>("secret_kind")?)?,
        secret: row.try_get("secret")?,
        host: row.try_get("host")?,
        scope: json_column("binding scope", &row.try_get::<String, _>("scope")?)?,
        updated_by: row.try_get("updated_by")?,
        updated_at: row.try_get("updated_at")?,
        drift: match drift_state {
            Some(state) => Some(DriftRecord {
                state: DriftState::parse(&state)?,
                version: row.try_get("drift_version")?,
                checked_at: row
                    .try_get::<Option<String>, _>("drift_checked_at")?
                    .unwrap_or_default(),
                fingerprint: row.try_get("live_fingerprint")?,
                changes: row.try_get("drift_changes")?,
                sql: row.try_get("drift_sql")?,
                changed: row.try_get("drift_changed")?,
                reason: row.try_get("drift_reason")?,
                ok_at: row.try_get("drift_ok_at")?,
            }),
            None => None,
        },
        verified_version: row.try_get("verified_version")?,
        applied_version: row.try_get("applied_version")?,
    })
}

fn environment(row: &AnyRow) -> Result<Environment, StoreError> {
    Ok(Environment {
        name: row.try_get("name")?,
        position: row.try_get("position")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// The environments in chain order.
    pub async fn environments(&self) -> Result<Vec<Environment>, StoreError> {
        let rows = sqlx::query("SELECT name, position, created_at FROM environments ORDER BY position")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(environment).collect()
    }

    pub async fn existing_environment(&self, name: &str) -> Result<Environment, StoreError> {
        let row = sqlx::query("SELECT name, position, created_at FROM environments WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("environment {name:?} does not exist")))?;
        environment(&row)
    }

    /// Adds an environment at the end of the chain, and appends the entries `audit` makes of
    /// its place in the chain, in one transaction.
    pub async fn create_environment(
        &self,
        name: &str,
        audit: impl FnOnce(i64) -> Vec<NewAuditEntry> + Send,
    ) -> Result<Environment, StoreError> {
        let at = now();
        let mut tx = self.pool.begin().await?;
        let result = sqlx::query(
            "INSERT INTO environments (name, position, created_at) \
             SELECT $1, COALESCE(MAX(position), 0) + 1, $2 FROM environments WHERE true RETURNING position",
        )
        .bind(name)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await;
        match result {
            Err(e) if is_unique_violation(&e) => {
                drop(tx);
                if self.existing_environment(name).await.is_ok() {
                    Err(StoreError::Conflict(format!("environment {name:?} already exists")))
                } else {
                    Err(StoreError::Unavailable(
                        "environments were added concurrently: try again".into(),
                    ))
                }
            }
            Err(e) => Err(e.into()),
            Ok(row) => {
                super::audit::append_all_in(&mut tx, &audit(row.try_get("position")?)).await?;
                tx.commit().await?;
                self.existing_environment(name).await
            }
        }
    }

    /// Creates or replaces the service's binding in the environment (its drift record is
    /// reset), and appends `audit`, in one transaction.
    pub async fn put_binding(
        &self,
        service: &str,
        environment: &str,
        new: &NewBinding,
        audit: &[NewAuditEntry],
    ) -> Result<Binding, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO bindings ({BINDING_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) \
             ON CONFLICT (service, environment) DO UPDATE SET secret_kind = excluded.secret_kind, \
             secret = excluded.secret, host = excluded.host, scope = excluded.scope, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at, drift_state = NULL, \
             drift_version = NULL, drift_checked_at = NULL, live_fingerprint = NULL, drift_changes = NULL, \
             drift_sql = NULL, drift_changed = NULL, drift_reason = NULL, drift_ok_at = NULL, \
             drift_known_state = NULL"
        ))
        .bind(service)
        .bind(environment)
        .bind(new.secret_kind.as_str())
        .bind(&new.secret)
        .bind(new.host.as_deref())
        .bind(to_json(&new.scope))
        .bind(&new.updated_by)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        super::audit::append_all_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.existing_binding(service, environment).await
    }

    pub async fn binding(&self, service: &str, environment: &str) -> Result<Option<Binding>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {BINDING_COLUMNS} FROM bindings WHERE service = $1 AND environment = $2"
        ))
        .bind(service)
        .bind(environment)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(binding).transpose()
    }

    pub async fn existing_binding(&self, service: &str, environment: &str) -> Result<Binding, StoreError> {
        self.binding(service, environment).await?.ok_or_else(|| {
            StoreError::NotFound(format!(
                "service {service:?} has no database bound in environment {environment:?}"
            ))
        })
    }

    /// Every binding, by service then environment.
    pub async fn bindings(&self) -> Result<Vec<Binding>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {BINDING_COLUMNS} FROM bindings ORDER BY service, environment"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(binding).collect()
    }

    /// Records the version last applied to the environment's database.
    pub async fn record_applied(&self, service: &str, environment: &str, version: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE bindings SET applied_version = $3 WHERE service = $1 AND environment = $2")
            .bind(service)
            .bind(environment)
            .bind(version)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a drift check; when the live database equals the version, it is the verified
    /// one. The change of state from the binding's last observation is named once
    /// ([`super::drift_transition`]): its event and its audit entry (made by `audit` from the
    /// change) are written in this transaction, and the change returned. `None` when nothing
    /// changed (or the binding is gone).
    pub async fn record_drift(
        &self,
        service: &str,
        environment: &str,
        drift: &DriftRecord,
        audit: impl FnOnce(&DriftChange) -> NewAuditEntry,
    ) -> Result<Option<DriftChange>, StoreError> {
        let verified = (drift.state == DriftState::InSync).then_some(drift.version).flatten();
        let known = (drift.state != DriftState::Unknown).then_some(drift.state.as_str());
        let mut tx = self.pool.begin().await?;
        // The row locked for the transaction (a plain read would let two checks of two
        // replicas both see the same state before).
        let before = sqlx::query(
            "UPDATE bindings SET drift_known_state = drift_known_state WHERE service = $1 AND environment = $2 \
             RETURNING drift_state, drift_known_state",
        )
        .bind(service)
        .bind(environment)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else {
            return Ok(None);
        };
        let state = |column: &str| -> Result<Option<DriftState>, StoreError> {
            let text: Option<String> = before.try_get(column)?;
            Ok(text.as_deref().and_then(|t| DriftState::parse(t).ok()))
        };
        let (last, last_known) = (state("drift_state")?, state("drift_known_state")?);
        sqlx::query(
            "UPDATE bindings SET drift_state = $3, drift_version = $4, drift_checked_at = $5, live_fingerprint = $6, \
             verified_version = COALESCE($7, verified_version), drift_changes = $8, drift_sql = $9, \
             drift_changed = $10, drift_reason = $11, drift_ok_at = COALESCE($12, drift_ok_at), \
             drift_known_state = COALESCE($13, drift_known_state) \
             WHERE service = $1 AND environment = $2",
        )
        .bind(service)
        .bind(environment)
        .bind(drift.state.as_str())
        .bind(drift.version)
        .bind(&drift.checked_at)
        .bind(drift.fingerprint.as_deref())
        .bind(verified)
        .bind(drift.changes.as_deref())
        .bind(drift.sql.as_deref())
        .bind(drift.changed)
        .bind(drift.reason.as_deref())
        .bind(drift.ok_at.as_deref())
        .bind(known)
        .execute(&mut *tx)
        .await?;
        let change = drift_transition(last, last_known, drift.state).map(|(action, kind)| {
            let event = NewEvent::drift(kind, service, environment, drift);
            (DriftChange { action, before: last }, event)
        });
        if let Some((change, event)) = &change {
            self.write_events(&mut tx, std::slice::from_ref(event)).await?;
            super::audit::append_audit_in(&mut tx, &audit(change)).await?;
        }
        tx.commit().await?;
        Ok(change.map(|(c, _)| c))
    }

    /// Claims a binding's next drift check for `secs` seconds: false when another registry
    /// holds the claim (several replicas watch the same bindings; each check runs once).
    pub async fn claim_drift_check(&self, service: &str, environment: &str, secs: u64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE bindings SET drift_claimed_until = $3 WHERE service = $1 AND environment = $2 \
             AND (drift_claimed_until IS NULL OR drift_claimed_until < $4)",
        )
        .bind(service)
        .bind(environment)
        .bind(after(secs))
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
