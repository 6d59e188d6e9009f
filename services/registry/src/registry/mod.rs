//! The registry's work between the routes and the adapters, one module per use case: pushing
//! versions (`push`), reading live databases (`live`) and recording drift (`drift`), asking
//! for and computing plans (`planning`, under the promotion gate of `promotion`), people's
//! decisions on them (`decisions`, by the rules of `approval`), applying them (`applying`) or
//! recording a pipeline's report (`reporting`). Routes parse, authorise and answer; this layer
//! knows no HTTP beyond [`ApiError`].

pub mod applying;
pub mod approval;
pub mod coalesce;
pub mod connections;
pub mod decisions;
pub mod drift;
pub mod lease;
pub mod live;
pub mod overview;
pub mod planning;
pub mod promotion;
pub mod push;
pub mod pushing;
pub mod reporting;
pub mod versions;
pub mod watch;

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

/// A live schema and a version made ready to compare: settled (see `verify::settle`) when
/// their differences include redefinitions. When settling fails (the scratch server is down,
/// the live schema cannot be rebuilt) they are compared as read: verification, which rebuilds
/// the live schema too, then says what is wrong.
pub async fn comparable(
    state: &AppState,
    scope: &Scope,
    live: Snapshot,
    mut wanted: Snapshot,
    applier: &str,
) -> (Snapshot, Snapshot) {
    // Default privileges without FOR ROLE and objects without an owner are the applier's: the
    // live database reads its own so, and the version's naming it are the same.
    wanted.as_applied_by(applier);
    match schemareg_adapters::verify::settle_pair(&state.scratch, scope, &live, &wanted).await {
        Ok(Some(settled)) => settled,
        Ok(None) => (live, wanted),
        Err(e) => {
            tracing::warn!(error = %e, "cannot settle the schemas' printing: compared as read");
            (live, wanted)
        }
    }
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
