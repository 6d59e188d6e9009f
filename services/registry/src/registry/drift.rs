//! Drift: a binding's live database read and compared with a version. The outcome is the
//! binding's last observation (in sync: the version is verified there; a database that cannot
//! be read: `unknown`, with why, never taken for in sync); a change of state is audited and
//! sent to webhooks under one name the store decides (`drift.detected`, `drift.resolved`,
//! `drift.unknown`, `drift.readable`) and the gauges follow. The one place drift is recorded.

use std::time::Duration;

use schemareg_adapters::pg::Client;
use schemareg_adapters::store::{
    Binding, DriftChange, DriftRecord, DriftState, Service, StoreError, Version, VersionRef,
};
use schemareg_engine::diff::Change;
use schemareg_engine::plan::{PlanOptions, ScriptOptions, render_script};

use super::live::Live;
use crate::audit::{self, Event, Origin};
use crate::error::ApiError;
use crate::state::AppState;

/// What a drift check found.
pub struct Checked {
    /// The live database as read (its snapshot moved into the comparison).
    pub live: Live,
    /// What takes the live database to the version.
    pub changes: Vec<Change>,
    /// Those changes as a script (empty when in sync).
    pub sql: String,
    pub state: DriftState,
    /// The version compared with.
    pub version: i64,
}

/// Reads the bound database, compares it with `version` and records the outcome.
pub async fn check(state: &AppState, service: &Service, binding: &Binding, version: i64) -> Result<Checked, ApiError> {
    let (client, _) = super::live::connect(state, binding, None).await?;
    check_on(state, &client, service, binding, version).await
}

/// [`check`] on a connection already open to the bound database (one place in its server's
/// budget for the whole check). The script is planned as a plan of the version would be.
async fn check_on(
    state: &AppState,
    client: &Client,
    service: &Service,
    binding: &Binding,
    version: i64,
) -> Result<Checked, ApiError> {
    let (live, planned) =
        super::live::plan_version(state, client, service, binding, version, PlanOptions::default()).await?;
    let changes = planned.compared.changes;
    let sql = if changes.is_empty() {
        String::new()
    } else {
        render_script(&planned.plan, &ScriptOptions::default())
    };
    let checked = Checked {
        state: DriftState::of(changes.len()),
        live,
        changes,
        sql,
        version,
    };
    record(state, binding, &observed(&checked)).await?;
    state.delayed.settled(binding);
    Ok(checked)
}

/// A check as the binding's observation.
pub fn observed(c: &Checked) -> DriftRecord {
    DriftRecord {
        state: c.state,
        version: Some(c.version),
        checked_at: c.live.read_at.clone(),
        fingerprint: Some(c.live.fingerprint.clone()),
        changes: Some(serde_json::to_string(&c.changes).unwrap_or_else(|_| "[]".into())),
        sql: Some(c.sql.clone()),
        changed: Some(c.changes.len() as i64),
        reason: None,
        ok_at: Some(c.live.read_at.clone()),
    }
}

/// A binding's drift as a reader asks for it: the watch's last observation of `version` (by
/// default the version applied there, else the latest), or the database read now when asked
/// (`refresh`), when the last observation was of another version, or when there is none.
pub struct Observation {
    pub version: Version,
    pub record: DriftRecord,
    /// The typed changes that take the live database to the version, as JSON.
    pub changes: Vec<serde_json::Value>,
}

/// The drift of `service` in `environment` (the caller checked the reader's role and scope).
pub async fn observation(
    state: &AppState,
    (service, environment): (&str, &str),
    version: Option<&str>,
    refresh: bool,
) -> Result<Observation, ApiError> {
    let at = version.map(super::version_ref).transpose()?;
    let svc = state.store.existing_service(service).await?;
    state.store.existing_environment(environment).await?;
    let binding = state.store.existing_binding(service, environment).await?;
    let at = at.unwrap_or(match binding.applied_version {
        Some(n) => VersionRef::Number(n),
        None => VersionRef::Latest,
    });
    let version = state.store.existing_version(service, &at).await?;
    let last_seen = binding
        .drift
        .as_ref()
        .filter(|d| !refresh && d.version == Some(version.number));
    if let Some(last) = last_seen {
        let changes = match &last.changes {
            Some(text) => serde_json::from_str(text)
                .map_err(|e| ApiError::Internal(format!("a stored drift observation is malformed: {e}")))?,
            None => Vec::new(),
        };
        return Ok(Observation {
            version,
            record: last.clone(),
            changes,
        });
    }
    let checked = check_or_unknown(state, &svc, &binding, version.number).await?;
    let record = observed(&checked);
    let changes = checked
        .changes
        .iter()
        .map(|c| serde_json::to_value(c).unwrap_or_default())
        .collect();
    Ok(Observation {
        version,
        record,
        changes,
    })
}

/// Checks a binding against the version applied there, else the latest (what the watch and
/// a plain `GET …/drift` compare with), within `timeout`. A database that cannot be read, or
/// not in time, is recorded `unknown` with why, and the error returned. `None` when the
/// service has no version yet.
pub async fn observe(state: &AppState, binding: &Binding, timeout: Duration) -> Result<Option<Checked>, ApiError> {
    let service = state.store.existing_service(&binding.service).await?;
    let at = match binding.applied_version {
        Some(n) => VersionRef::Number(n),
        None => VersionRef::Latest,
    };
    let version = match state.store.existing_version(&binding.service, &at).await {
        Ok(v) => v,
        Err(StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    // A connection first, waited for at most the whole timeout: a check that gets no place in
    // its server's budget in time is delayed, not `unknown` (the database was never asked).
    let started = std::time::Instant::now();
    let client = match super::live::connect(state, binding, Some(timeout)).await {
        Ok((client, _)) => client,
        Err(ApiError::Busy(reason)) => {
            state.delayed.delayed(binding);
            state.metrics.count(
                "schemareg_drift_checks_delayed_total",
                &[("service", &binding.service), ("environment", &binding.environment)],
            );
            return Err(ApiError::Busy(reason));
        }
        Err(ApiError::Unavailable(reason)) => {
            record_unknown(state, binding, version.number, &reason).await;
            return Err(ApiError::Unavailable(reason));
        }
        Err(e) => return Err(e),
    };
    let left = timeout.saturating_sub(started.elapsed());
    let checked = async {
        match check_on(state, &client, &service, binding, version.number).await {
            Err(ApiError::Unavailable(reason)) => {
                record_unknown(state, binding, version.number, &reason).await;
                Err(ApiError::Unavailable(reason))
            }
            other => other,
        }
    };
    match tokio::time::timeout(left, checked).await {
        Ok(checked) => checked.map(Some),
        Err(_) => {
            let reason = format!(
                "the database of {} in {} did not answer within {}s",
                binding.service,
                binding.environment,
                timeout.as_secs()
            );
            record_unknown(state, binding, version.number, &reason).await;
            Err(ApiError::Unavailable(reason))
        }
    }
}

/// [`check`], recording `unknown` when the database cannot be read.
pub async fn check_or_unknown(
    state: &AppState,
    service: &Service,
    binding: &Binding,
    version: i64,
) -> Result<Checked, ApiError> {
    match check(state, service, binding, version).await {
        Err(ApiError::Unavailable(reason)) => {
            record_unknown(state, binding, version, &reason).await;
            Err(ApiError::Unavailable(reason))
        }
        other => other,
    }
}

/// Records that the database could not be read (the last successful check's time stays).
pub async fn record_unknown(state: &AppState, binding: &Binding, version: i64, reason: &str) {
    let drift = DriftRecord {
        state: DriftState::Unknown,
        version: Some(version),
        checked_at: schemareg_adapters::store::now(),
        fingerprint: None,
        changes: None,
        sql: None,
        changed: None,
        reason: Some(reason.to_string()),
        ok_at: None,
    };
    if let Err(e) = record(state, binding, &drift).await {
        tracing::warn!(service = %binding.service, environment = %binding.environment, error = %e, "could not record a drift check");
    }
}

/// A check that found the live database equal to `version` (a plan with nothing to do).
pub fn in_sync(version: i64, at: &str, fingerprint: &str) -> DriftRecord {
    DriftRecord {
        state: DriftState::InSync,
        version: Some(version),
        checked_at: at.to_string(),
        fingerprint: Some(fingerprint.to_string()),
        changes: Some("[]".into()),
        sql: Some(String::new()),
        changed: Some(0),
        reason: None,
        ok_at: Some(at.to_string()),
    }
}

/// Records a drift check of `binding`: its change of state, as the store names it, is written
/// with its webhook event and its audit entry in one transaction, and the gauge of changed
/// objects is set.
pub async fn record(state: &AppState, binding: &Binding, drift: &DriftRecord) -> Result<(), ApiError> {
    let audited = |change: &DriftChange| {
        let detail = serde_json::json!({
            "version": drift.version,
            "changed_objects": drift.changed,
            "reason": drift.reason,
            "before": change.before.map(DriftState::as_str),
        });
        let event = Event::new(change.action)
            .on(&binding.service, Some(&binding.environment))
            .detail(detail);
        audit::entry("registry", &Origin::default(), "ok", event)
    };
    state
        .store
        .record_drift(&binding.service, &binding.environment, drift, audited)
        .await?;
    if let Some(changed) = drift.changed {
        state.metrics.binding_gauge(
            "schemareg_drift_changed_objects",
            &binding.service,
            &binding.environment,
            changed as f64,
        );
    }
    Ok(())
}
