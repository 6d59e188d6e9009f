//! Work on a plan under a lease: while the work runs, the plan's lease (and the apply lock's,
//! when there is one) is renewed, so other replicas know the plan is being worked on; if the
//! registry stops, the lease runs out and any replica marks the plan failed.

use std::future::Future;
use std::time::Duration;

use crate::state::AppState;

/// Gives back the leases of the plans this registry works on (it is stopping): another
/// replica marks them failed at once instead of after `lease_secs`, and may apply to their
/// databases again.
pub async fn release_all(state: &AppState) {
    // First, so that work still running (an apply waiting on a lock) does not renew a lease
    // given back while this process winds down.
    state.working.give_back();
    for id in state.working.ids() {
        if let Err(e) = state.store.expire_plan_lease(&id).await {
            tracing::warn!(plan = %id, error = %e, "cannot give back a plan's lease");
        }
    }
}

/// Runs `work`, renewing the leases every third of their length.
pub async fn with_lease<F: Future>(state: &AppState, plan_id: &str, lock: Option<&str>, work: F) -> F::Output {
    let _held = state.working.hold(plan_id);
    let secs = state.config.lease_secs.max(1);
    let every = Duration::from_millis(secs * 1000 / 3).max(Duration::from_millis(200));
    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tokio::pin!(work);
    loop {
        tokio::select! {
            result = &mut work => return result,
            _ = renew.tick() => {
                if state.working.given_back() {
                    continue;
                }
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
