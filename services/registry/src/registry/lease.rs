//! Work on a plan under a lease: while the work runs, the plan's lease (and the apply lock's,
//! when there is one) is renewed, so other replicas know the plan is being worked on; if the
//! registry stops, the lease runs out and any replica marks the plan failed.

use std::future::Future;
use std::time::Duration;

use crate::state::AppState;

/// Runs `work`, renewing the leases every third of their length.
pub async fn with_lease<F: Future>(state: &AppState, plan_id: &str, lock: Option<&str>, work: F) -> F::Output {
    let secs = state.config.lease_secs.max(1);
    let every = Duration::from_millis(secs * 1000 / 3).max(Duration::from_millis(200));
    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tokio::pin!(work);
    loop {
        tokio::select! {
            result = &mut work => return result,
            _ = renew.tick() => {
                if let Err(e) = state.store.renew_plan(plan_id, secs).await {
                    tracing::warn!(plan = %plan_id, error = %e, "cannot renew a plan's lease");
                }
                if let Some(name) = lock
                    && let Err(e) = state.store.renew_lock(name, plan_id, secs).await
                {
                    tracing::warn!(plan = %plan_id, error = %e, "cannot renew an apply lock");
                }
            }
        }
    }
}
