//! Drift watched on a schedule. Each binding's database is checked against the version applied
//! there (else the latest) every `drift_interval` of its environment's policy, give or take a
//! tenth so that checks spread out; at most `drift_concurrency` at once, each within
//! `drift_timeout_secs` (a database that has not answered by then is `unknown`); a binding
//! whose database a plan is being applied to waits for the next round. Several registries on
//! one store each run the watch: a claim on the binding lets one of them check it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use schemareg_adapters::store::{Binding, PlanState};
use tokio::sync::Semaphore;

use super::delayed::{Key, key};
use crate::error::ApiError;
use crate::state::AppState;

/// Starts the watch (unless the configuration turns it off); it runs until the process ends.
pub fn spawn(state: AppState) {
    if state.config.drift_watch {
        tokio::spawn(run(state));
    }
}

async fn run(state: AppState) {
    let mut watch = Watch {
        limit: Arc::new(Semaphore::new(state.config.drift_concurrency)),
        due: HashMap::new(),
        running: Arc::new(Mutex::new(HashSet::new())),
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = watch.round(&state).await {
            tracing::warn!(error = %e, "drift watch: a round failed");
        }
    }
}

struct Watch {
    limit: Arc<Semaphore>,
    /// When each binding is next checked.
    due: HashMap<Key, Instant>,
    /// Bindings being checked by this registry.
    running: Arc<Mutex<HashSet<Key>>>,
}

impl Watch {
    async fn round(&mut self, state: &AppState) -> Result<(), ApiError> {
        let bindings = state.store.bindings().await?;
        let applying: HashSet<Key> = state
            .store
            .plans_in_state(PlanState::Applying)
            .await?
            .into_iter()
            .map(|p| (p.service, p.environment))
            .collect();
        let mut intervals: HashMap<String, Duration> = HashMap::new();
        let now = Instant::now();
        let live: HashSet<Key> = bindings.iter().map(key).collect();
        self.due.retain(|k, _| live.contains(k));
        for b in bindings {
            let k = key(&b);
            if !intervals.contains_key(&b.environment) {
                let policy = crate::policy::current(&state.store, &b.environment).await?.policy;
                let secs = crate::policy::seconds(&policy.drift_interval).unwrap_or(300);
                intervals.insert(b.environment.clone(), Duration::from_secs(secs.max(1)));
            }
            let interval = intervals[&b.environment];
            age_gauge(state, &b);
            let due = *self
                .due
                .entry(k.clone())
                .or_insert_with(|| first_due(&b, interval, now));
            if due > now || self.running.lock().expect("not poisoned").contains(&k) {
                continue;
            }
            if applying.contains(&k) {
                self.due.insert(k, now + jittered(interval));
                continue;
            }
            self.due.insert(k.clone(), now + jittered(interval));
            self.running.lock().expect("not poisoned").insert(k.clone());
            let (state, running, limit) = (state.clone(), self.running.clone(), self.limit.clone());
            // Due checks queue for a slot, first come first served.
            tokio::spawn(async move {
                if let Ok(_slot) = limit.acquire_owned().await {
                    check(&state, &b, interval).await;
                }
                running.lock().expect("not poisoned").remove(&k);
            });
        }
        Ok(())
    }
}

/// A binding checked before (by this registry or another) is due an interval after that check;
/// one never checked, an interval after it is first seen.
fn first_due(b: &Binding, interval: Duration, now: Instant) -> Instant {
    let since = b.drift.as_ref().and_then(|d| age(&d.checked_at));
    match since {
        Some(age) => now + jittered(interval).saturating_sub(age),
        None => now + jittered(interval),
    }
}

/// How long ago an RFC 3339 time of the store was.
pub fn age(at: &str) -> Option<Duration> {
    let then = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    let secs = (time::OffsetDateTime::now_utc() - then).as_seconds_f64();
    Some(Duration::from_secs_f64(secs.max(0.0)))
}

/// The age of a binding's last successful check, as a gauge.
fn age_gauge(state: &AppState, b: &Binding) {
    if let Some(age) = b.drift.as_ref().and_then(|d| d.ok_at.as_deref()).and_then(age) {
        state.metrics.binding_gauge(
            "schemareg_drift_last_success_age_seconds",
            &b.service,
            &b.environment,
            age.as_secs_f64(),
        );
    }
}

/// An interval, give or take a tenth.
fn jittered(interval: Duration) -> Duration {
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    let unit = f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX); // 0..=1
    interval.mul_f64(0.9 + 0.2 * unit)
}

/// One check of one binding, if this registry wins the claim on it: held for most of an
/// interval, so that of several registries one checks the binding per interval.
async fn check(state: &AppState, b: &Binding, interval: Duration) {
    let timeout = Duration::from_secs(state.config.drift_timeout_secs);
    let claim = interval.mul_f64(0.8).as_secs().max(1);
    match state.store.claim_drift_check(&b.service, &b.environment, claim).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(service = %b.service, environment = %b.environment, error = %e, "drift watch: no claim");
            return;
        }
    }
    match super::drift::observe(state, b, timeout).await {
        // A database that cannot be read is recorded `unknown` by `observe`.
        // One delayed (no connection in the budget in time) is counted by `observe`.
        Ok(_) | Err(ApiError::Unavailable(_)) | Err(ApiError::Busy(_)) => {}
        Err(e) => {
            tracing::warn!(service = %b.service, environment = %b.environment, error = %e, "drift watch: a check failed");
        }
    }
}
