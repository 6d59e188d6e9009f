//! Drift: a binding's live database read and compared with a version. The outcome is the
//! binding's last observation (in sync: the version is verified there; a database that cannot
//! be read: `unknown`, with why, never taken for in sync); a change of state is audited
//! (`drift.detected`, `drift.resolved`, `drift.unknown`) and the gauges follow. The one place
//! drift is recorded.

use std::time::Duration;

use schemareg_adapters::pg::Client;
use schemareg_adapters::store::{Binding, DriftRecord, DriftState, Service, StoreError, VersionRef};
use schemareg_engine::Snapshot;
use schemareg_engine::diff::Change;
use schemareg_engine::plan::{PlanOptions, ScriptOptions, plan_diffed, render_script};

use super::live::Live;
use crate::audit::{self, Event, Origin};
use crate::error::ApiError;
use crate::state::AppState;

/// What a drift check found.
pub struct Checked {
    /// The live database as read (its snapshot settled for the comparison).
    pub live: Live,
    /// The version, scoped as the live database is.
    pub wanted: Snapshot,
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
/// budget for the whole check).
async fn check_on(
    state: &AppState,
    client: &Client,
    service: &Service,
    binding: &Binding,
    version: i64,
) -> Result<Checked, ApiError> {
    let mut live = super::live::read_on(client, service, binding).await?;
    let wanted = live
        .scope
        .apply(super::snapshot_of(state, &service.name, version).await?);
    let read = std::mem::take(&mut live.snapshot);
    let (read, wanted) = super::comparable(state, &live.scope, read, wanted, &live.applier.role).await;
    live.snapshot = read;
    let changes = schemareg_engine::diff::diff(&live.snapshot, &wanted);
    let sql = script(client, binding, &live, &wanted, &changes).await?;
    let checked = Checked {
        state: DriftState::of(changes.len()),
        live,
        wanted,
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

/// The script that takes the live database to the version (empty when in sync), planned as a
/// plan of it would be (TO's declared renames made first, the sizes of the tables it rewrites
/// read from the database).
async fn script(
    client: &Client,
    binding: &Binding,
    live: &Live,
    wanted: &Snapshot,
    changes: &[Change],
) -> Result<String, ApiError> {
    if changes.is_empty() {
        return Ok(String::new());
    }
    let mut options = PlanOptions {
        applier: Some(live.applier.clone()),
        ..PlanOptions::default()
    };
    super::live::read_plan_sizes_on(client, binding, &live.snapshot, wanted, changes, &mut options).await?;
    Ok(render_script(
        &plan_diffed(&live.snapshot, wanted, changes, &options),
        &ScriptOptions::default(),
    ))
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

/// Records a drift check of `binding`; a change of state from the binding's last one is
/// audited, and the gauge of changed objects is set.
pub async fn record(state: &AppState, binding: &Binding, drift: &DriftRecord) -> Result<(), ApiError> {
    state
        .store
        .record_drift(&binding.service, &binding.environment, drift)
        .await?;
    if let Some(changed) = drift.changed {
        state.metrics.binding_gauge(
            "schemareg_drift_changed_objects",
            &binding.service,
            &binding.environment,
            changed as f64,
        );
    }
    let before = binding.drift.as_ref().map(|d| d.state);
    let action = match (before, drift.state) {
        (b, now) if b == Some(now) => None,
        (_, DriftState::Drifted) => Some("drift.detected"),
        (_, DriftState::Unknown) => Some("drift.unknown"),
        (Some(_), DriftState::InSync) => Some("drift.resolved"),
        (None, DriftState::InSync) => None,
    };
    if let Some(action) = action {
        let detail = serde_json::json!({
            "version": drift.version,
            "changed_objects": drift.changed,
            "reason": drift.reason,
            "before": before.map(DriftState::as_str),
        });
        let event = Event::new(action)
            .on(&binding.service, Some(&binding.environment))
            .detail(detail);
        audit::record(state, "registry", &Origin::default(), "ok", event).await;
    }
    Ok(())
}
