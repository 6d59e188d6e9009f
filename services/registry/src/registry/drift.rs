//! Drift: a binding's live database read now and compared with a version; the outcome is
//! recorded on the binding (in sync: the version is verified there). The one place drift is
//! recorded.

use schemareg_adapters::store::{Binding, DriftRecord, DriftState, Service};
use schemareg_engine::Snapshot;
use schemareg_engine::diff::Change;

use super::live::Live;
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
    pub state: DriftState,
}

/// Reads the bound database, compares it with `version` and records the outcome.
pub async fn check(state: &AppState, service: &Service, binding: &Binding, version: i64) -> Result<Checked, ApiError> {
    let mut live = super::live::read(state, service, binding).await?;
    let wanted = live
        .scope
        .apply(super::snapshot_of(state, &service.name, version).await?);
    let read = std::mem::take(&mut live.snapshot);
    let (read, wanted) = super::comparable(state, &live.scope, read, wanted, &live.applier.role).await;
    live.snapshot = read;
    let changes = schemareg_engine::diff::diff(&live.snapshot, &wanted);
    let outcome = DriftState::of(changes.len());
    record(state, binding, version, outcome, &live.read_at, &live.fingerprint).await?;
    Ok(Checked {
        live,
        wanted,
        changes,
        state: outcome,
    })
}

/// Records a drift check of `binding` against `version`.
pub async fn record(
    state: &AppState,
    binding: &Binding,
    version: i64,
    outcome: DriftState,
    checked_at: &str,
    fingerprint: &str,
) -> Result<(), ApiError> {
    let drift = DriftRecord {
        state: outcome,
        version: Some(version),
        checked_at: checked_at.to_string(),
        fingerprint: Some(fingerprint.to_string()),
    };
    Ok(state
        .store
        .record_drift(&binding.service, &binding.environment, &drift)
        .await?)
}
