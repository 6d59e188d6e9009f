//! `/v1/overview`: what runs where, in one call, for dashboards.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use schemareg_adapters::store::BindingGlance;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::http::problem::responses as r;
use crate::state::AppState;

/// One service in one environment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Placement {
    pub environment: String,
    /// Whether a database is bound there.
    pub bound: bool,
    pub host: Option<String>,
    pub applied_version: Option<i64>,
    /// The newest version the live database was found equal to.
    pub verified_version: Option<i64>,
    /// `in_sync`, `drifted`, `unknown` (the database could not be read), or null when never
    /// checked.
    pub drift_state: Option<String>,
    pub drift_checked_at: Option<String>,
    /// How many changes take the live database to the version.
    pub drift_changed_objects: Option<i64>,
    /// When the database was last read successfully (the age of the watch's knowledge).
    pub drift_last_read_at: Option<String>,
    /// Why the database could not be read.
    pub drift_reason: Option<String>,
    /// Since when this registry's drift checks of the binding have been delayed: due, but no
    /// connection to its server was free within the registry's budget for it (the database
    /// was not asked, so its state is not `unknown`); null when the last check ran.
    pub drift_delayed_since: Option<String>,
    /// Plans waiting for approval there.
    pub pending_plans: Vec<String>,
}

/// One service across the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceOverview {
    pub service: String,
    pub latest_version: Option<i64>,
    pub latest_digest: Option<String>,
    pub environments: Vec<Placement>,
}

/// What runs where.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"environments": ["dev", "staging", "production"], "services": [{"service": "billing", "latest_version": 3, "latest_digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "environments": [{"environment": "dev", "bound": true, "host": "db.internal:5432", "applied_version": null, "verified_version": 3, "drift_state": "in_sync", "drift_checked_at": "2026-11-25T10:00:00.000Z", "drift_changed_objects": 0, "drift_last_read_at": "2026-11-25T10:00:00.000Z", "drift_reason": null, "drift_delayed_since": null, "pending_plans": []}]}]}))]
pub struct Overview {
    /// The chain, in order.
    pub environments: Vec<String>,
    pub services: Vec<ServiceOverview>,
}

/// For each service and environment: latest version, applied and verified versions, drift
/// state and when it was checked, plans waiting for approval.
#[utoipa::path(get, path = "/v1/overview", tag = "overview", operation_id = "getOverview",
    summary = "What runs where", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every service in every environment", body = Overview),
        r::Unauthorized, r::Forbidden, r::Unavailable,
    ))]
pub async fn get_overview(State(state): State<AppState>, who: Principal) -> Result<Json<Overview>, ApiError> {
    overview(&state, &who).await.map(Json)
}

/// What runs where, as `who` may see it.
pub async fn overview(state: &AppState, who: &Principal) -> Result<Overview, ApiError> {
    who.require_read()?;
    let all = state.overview.read(|| everything(state)).await?;
    // A scoped token sees the services and environments of its scope.
    let covered: Vec<bool> = all.environments.iter().map(|e| who.covers_environment(e)).collect();
    let seen = |items: &[String]| -> Vec<String> {
        items
            .iter()
            .zip(&covered)
            .filter(|(_, c)| **c)
            .map(|(e, _)| e.clone())
            .collect()
    };
    Ok(Overview {
        environments: seen(&all.environments),
        services: all
            .services
            .iter()
            .filter(|s| who.covers_service(&s.service))
            .map(|s| ServiceOverview {
                service: s.service.clone(),
                latest_version: s.latest_version,
                latest_digest: s.latest_digest.clone(),
                environments: s
                    .environments
                    .iter()
                    .zip(&covered)
                    .filter(|(_, c)| **c)
                    .map(|(p, _)| p.clone())
                    .collect(),
            })
            .collect(),
    })
}

/// Every service in every environment (read once for the requests that ask at once).
async fn everything(state: &AppState) -> Result<Overview, ApiError> {
    let environments: Vec<String> = state.store.environments().await?.into_iter().map(|e| e.name).collect();
    let read = state.store.overview_read().await?;
    let mut bindings: BTreeMap<(String, String), BindingGlance> = read
        .bindings
        .into_iter()
        .map(|b| ((b.service.clone(), b.environment.clone()), b))
        .collect();
    let mut pending: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for p in read.pending {
        pending.entry((p.service, p.environment)).or_default().push(p.id);
    }
    let delayed = state.delayed.all();
    let services = read
        .services
        .into_iter()
        .map(|svc| {
            let placements = environments
                .iter()
                .map(|env| {
                    let key = (svc.name.clone(), env.clone());
                    let delayed_since = delayed.get(&key).cloned();
                    let pending_plans = pending.remove(&key).unwrap_or_default();
                    placement(env, bindings.remove(&key), delayed_since, pending_plans)
                })
                .collect();
            ServiceOverview {
                service: svc.name,
                latest_version: svc.latest_version,
                latest_digest: svc.latest_digest,
                environments: placements,
            }
        })
        .collect();
    Ok(Overview { environments, services })
}

/// A service in `environment`, bound there as `b` (or not).
fn placement(
    environment: &str,
    b: Option<BindingGlance>,
    delayed_since: Option<String>,
    pending_plans: Vec<String>,
) -> Placement {
    let bound = b.is_some();
    let (host, applied_version, verified_version, drift) = match b {
        Some(b) => (b.host, b.applied_version, b.verified_version, b.drift),
        None => (None, None, None, None),
    };
    Placement {
        environment: environment.to_string(),
        bound,
        host,
        applied_version,
        verified_version,
        drift_state: drift.as_ref().map(|d| d.state.as_str().to_string()),
        drift_changed_objects: drift.as_ref().and_then(|d| d.changed),
        drift_last_read_at: drift.as_ref().and_then(|d| d.ok_at.clone()),
        drift_reason: drift.as_ref().and_then(|d| d.reason.clone()),
        drift_checked_at: drift.map(|d| d.checked_at),
        drift_delayed_since: delayed_since,
        pending_plans,
    }
}
