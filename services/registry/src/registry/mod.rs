//! The registry's work between the routes and the adapters, one module per use case: pushing
//! versions (`push`), reading live databases (`live`) and recording drift (`drift`), asking
//! for and computing plans (`planning`, under the promotion gate of `promotion`), people's
//! decisions on them (`decisions`, by the rules of `approval`), applying them (`applying`) or
//! recording a pipeline's report (`reporting`). Routes parse, authorise and answer; this layer
//! knows no HTTP beyond [`ApiError`].

pub mod applying;
pub mod approval;
pub mod audit_log;
pub mod bindings;
pub mod coalesce;
pub mod connections;
pub mod decisions;
pub mod delayed;
pub mod drift;
pub mod lease;
pub mod live;
pub mod overview;
pub mod planning;
pub mod promotion;
pub mod push;
pub mod pushing;
pub mod reaper;
pub mod reporting;
pub mod subscriptions;
pub mod versions;
pub mod watch;
pub mod working;

use schemareg_adapters::store::{ScopeSpec, Service, VersionRef};
use schemareg_engine::{Scope, Snapshot};

use crate::error::ApiError;
use crate::state::AppState;

/// A plan the caller may see: one of a service and environment its token covers. A plan out
/// of its scope is answered as one that does not exist (a 403 would name its service).
pub async fn visible_plan(
    state: &AppState,
    who: &crate::auth::Principal,
    id: &str,
) -> Result<schemareg_adapters::store::PlanRecord, ApiError> {
    let plan = state.store.existing_plan(id).await?;
    if !who.covers_service(&plan.service) || !who.covers_environment(&plan.environment) {
        return Err(ApiError::NotFound(format!("plan {id:?} does not exist")));
    }
    Ok(plan)
}

/// The scope that applies: the binding's when it names one, else the service's.
pub fn scope_of(service: &Service, binding: Option<&ScopeSpec>) -> Result<Scope, ApiError> {
    let spec = binding
        .filter(|b| !b.patterns.is_empty() || !b.presets.is_empty())
        .unwrap_or(&service.scope);
    Scope::new(&spec.patterns, &spec.presets)
        .map_err(|e| ApiError::Internal(format!("a stored scope is not valid: {e}")))
}

/// A version's snapshot.
pub async fn snapshot_of(state: &AppState, service: &str, number: i64) -> Result<Snapshot, ApiError> {
    let kept = versions::find(&state.store, &state.versions, service, &VersionRef::Number(number)).await?;
    parsed(&kept)
}

/// The snapshot of a version as kept.
pub fn parsed(kept: &versions::Kept) -> Result<Snapshot, ApiError> {
    schemareg_engine::from_json(&kept.snapshot).map_err(|e| {
        ApiError::Internal(format!(
            "stored snapshot of {} version {}: {e}",
            kept.version.service, kept.version.number
        ))
    })
}

/// Reads a version reference from a path segment: a number, `latest` or `sha256:…`.
pub fn version_ref(text: &str) -> Result<VersionRef, ApiError> {
    if text == "latest" {
        Ok(VersionRef::Latest)
    } else if let Some(hex) = text.strip_prefix("sha256:") {
        if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(VersionRef::Digest(text.to_ascii_lowercase()))
        } else {
            Err(ApiError::BadRequest(format!(
                "{text:?} is not a sha256 digest (64 hex digits)"
            )))
        }
    } else {
        text.parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .map(VersionRef::Number)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "{text:?} names no version: give a number (1, 2, …), latest, or sha256:<digest>"
                ))
            })
    }
}
