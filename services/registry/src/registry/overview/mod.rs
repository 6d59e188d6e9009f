//! What runs where: every service in every environment, read once for the requests that ask
//! at once (`coalesce`), and what of it a principal may see.

pub mod view;

use std::collections::BTreeMap;

use schemareg_adapters::store::BindingGlance;

use view::placement;
pub use view::{Overview, Placement, ServiceOverview};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;

/// What runs where, as `who` may see it.
pub async fn read(state: &AppState, who: &Principal) -> Result<Overview, ApiError> {
    who.require_read()?;
    let all = state.overview.read(|| everything(state)).await?;
    Ok(all.visible_to(who))
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
