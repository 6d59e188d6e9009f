//! Work on a plan under a lease: while the work runs, the plan's lease (and the apply lock's,
//! when there is one) is renewed, so other replicas know the plan is being worked on; if the
//! registry stops, the lease runs out and any replica marks the plan failed.

use std::future::Future;
use std::time::Duration;

use crate::state::AppState;

/// The plans this registry is working on, so that it can give their leases back when it
/// stops.
#[derive(Default)]
pub struct Working(
    std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// Set once the leases are given back: no work renews its lease after that.
    std::sync::atomic::AtomicBool,
);

impl Working {
    fn given_back(&self) -> bool {
        self.1.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn set(&self, plan_id: &str, on: bool) {
        let mut ids = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if on {
            ids.insert(plan_id.to_string());
        } else {
            ids.remove(plan_id);
        }
    }

    pub fn ids(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

/// Marks a plan worked on while it lives.
struct Held<'a>(&'a Working, &'a str);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.set(self.1, false);
    }
}

/// Gives back the leases of the plans this registry works on (it is stopping): another
/// replica marks them failed at once instead of after `lease_secs`, and may apply to their
/// databases again.
pub async fn release_all(state: &AppState) {
    // First, so that work still running (an apply waiting on a lock) does not renew a lease
    // given back while this process winds down.
    state.working.1.store(true, std::sync::atomic::Ordering::SeqCst);
    for id in state.working.ids() {
        if let Err(e) = state.store.expire_plan_lease(&id).await {
            tracing::warn!(plan = %id, error = %e, "cannot give back a plan's lease");
        }
    }
}

/// Runs `work`, renewing the leases every third of their length.
pub async fn with_lease<F: Future>(state: &AppState, plan_id: &str, lock: Option<&str>, work: F) -> F::Output {
    state.working.set(plan_id, true);
    let _held = Held(&state.working, plan_id);
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
