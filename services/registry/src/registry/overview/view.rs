//! The overview's document: one service in one environment, every service, and what of it a
//! principal may see. (It imports no state: the state holds the document read last.)

use schemareg_adapters::store::BindingGlance;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;

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

impl Overview {
    /// What `who` may see of it: a scoped token sees the services and environments of its
    /// scope.
    pub fn visible_to(&self, who: &Principal) -> Overview {
        let covered: Vec<bool> = self.environments.iter().map(|e| who.covers_environment(e)).collect();
        let seen = |items: &[String]| -> Vec<String> {
            items
                .iter()
                .zip(&covered)
                .filter(|(_, c)| **c)
                .map(|(e, _)| e.clone())
                .collect()
        };
        Overview {
            environments: seen(&self.environments),
            services: self
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
        }
    }
}

/// A service in `environment`, bound there as `b` (or not).
pub fn placement(
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
