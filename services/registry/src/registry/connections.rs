//! Connections to bound databases, counted against a budget per database server: at most
//! `target_server_connections` open to one `host:port` at once, shared by every binding that
//! points at it, and `target_connections_total` in all. Bindings with the same URL reuse each
//! other's idle connections; a connection idle for `target_idle_secs` is closed, and an idle
//! one gives its place up at once to a caller that needs a connection to another database of
//! a full server. A caller waits for a place (at most `target_wait_secs`, a drift check its
//! timeout) instead of failing: the registry never holds more of an application's server than
//! it was given.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use schemareg_adapters::pg::{Budget, ConnectError, Pooled, Target};
use sha2::{Digest, Sha256};

use crate::config::Config;

/// The budget of connections to bound database servers, and the URL each binding was last
/// reached at (a binding bound to another URL lets its old idle connections go at once).
pub struct TargetConnections {
    budget: Arc<Budget>,
    urls: Mutex<HashMap<(String, String), [u8; 32]>>,
}

impl TargetConnections {
    /// The budget the configuration gives.
    pub fn new(config: &Config) -> Self {
        Self {
            budget: Budget::new(
                config.target_server_connections,
                config.target_connections_total,
                Duration::from_secs(config.target_wait_secs),
            ),
            urls: Mutex::default(),
        }
    }

    pub fn budget(&self) -> &Arc<Budget> {
        &self.budget
    }

    /// A connection for a binding to the database at `url` (parsed as `target`): an idle one
    /// to the same URL, else a new one within the budget, waiting for a place at most `within`
    /// (else the budget's wait).
    pub async fn client(
        &self,
        binding: (&str, &str),
        url: &str,
        target: &Target,
        within: Option<Duration>,
    ) -> Result<Pooled, ConnectError> {
        let key: [u8; 32] = Sha256::digest(url.as_bytes()).into();
        let before = self
            .urls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((binding.0.to_string(), binding.1.to_string()), key);
        if let Some(old) = before
            && old != key
        {
            self.budget.close_idle_of(old);
        }
        self.budget.pooled(target, key, within).await
    }

    /// Closes idle connections to URLs no binding was last reached at (one given back after
    /// its binding was bound elsewhere).
    pub fn close_stale(&self) {
        let current: std::collections::HashSet<[u8; 32]> = self
            .urls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .copied()
            .collect();
        self.budget.close_idle_unless(|key| current.contains(key));
    }
}

/// How a server is named in metrics (which need no token): not its address, a digest of it.
/// The log says which address it is, once, when it is first counted.
pub fn server_label(server: &str) -> String {
    let digest = Sha256::digest(server.as_bytes());
    format!("s{}", hex(&digest[..4]))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
