//! Connections to bound databases: a small pool per binding, so that the drift watch and the
//! plans that read a database again and again do not connect each time. A pool holds at most
//! `target_pool_size` connections, closes those idle for `target_pool_idle_secs`, and is
//! replaced when the binding's database URL changes (its old connections close with it).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use deadpool_postgres::{Object, Pool};
use schemareg_adapters::pg::{ConnectError, Target};
use sha2::{Digest, Sha256};

use crate::state::AppState;

type Key = (String, String);

/// The pools of every binding this registry reached.
#[derive(Default)]
pub struct TargetPools {
    /// Per binding: a digest of the URL the pool connects to, and the pool.
    pools: Mutex<HashMap<Key, ([u8; 32], Pool)>>,
}

impl TargetPools {
    /// A connection to the binding's database at `url` (parsed as `target`).
    pub async fn client(
        &self,
        state: &AppState,
        (service, environment): (&str, &str),
        url: &str,
        target: &Target,
    ) -> Result<Object, ConnectError> {
        let digest: [u8; 32] = Sha256::digest(url.as_bytes()).into();
        let key = (service.to_string(), environment.to_string());
        let pool = {
            let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
            match pools.get(&key) {
                Some((d, pool)) if *d == digest => pool.clone(),
                _ => {
                    let pool = target.pool(state.config.target_pool_size)?;
                    // A replaced pool closes its connections once those in use come back.
                    if let Some((_, old)) = pools.insert(key, (digest, pool.clone())) {
                        old.close();
                    }
                    pool
                }
            }
        };
        target.pooled(&pool).await
    }

    /// Closes connections idle for longer than `idle`; how many are left open.
    pub fn close_idle(&self, idle: Duration) -> usize {
        let pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        pools
            .values()
            .map(|(_, pool)| {
                pool.retain(|_, metrics| metrics.last_used() < idle);
                pool.status().size
            })
            .sum()
    }
}

/// Closes idle connections every few seconds while the registry runs.
pub fn spawn_reaper(state: AppState) {
    tokio::spawn(async move {
        let idle = Duration::from_secs(state.config.target_pool_idle_secs);
        let mut tick = tokio::time::interval(Duration::from_secs(5).min(idle));
        loop {
            tick.tick().await;
            let open = state.pools.close_idle(idle);
            state.metrics.gauge("schemareg_target_connections_open", open as f64);
        }
    });
}
