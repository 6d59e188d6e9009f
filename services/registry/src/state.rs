//! What every request handler can reach.

use std::sync::Arc;

use schemareg_adapters::scratch::ScratchServer;
use schemareg_adapters::store::Store;

use crate::auth::Authenticator;
use crate::config::Config;
use crate::secrets::SecretBox;

/// The application's state, shared by all requests.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub scratch: Arc<ScratchServer>,
    pub store: Store,
    pub auth: Arc<Authenticator>,
    pub secrets: Arc<SecretBox>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Versions read so far (they never change).
    pub versions: Arc<crate::registry::versions::VersionCache>,
    /// Connections to bound databases, counted against a budget per server.
    pub connections: Arc<crate::registry::connections::TargetConnections>,
    /// Bindings whose drift checks got no connection in time.
    pub delayed: Arc<crate::registry::delayed::Delayed>,
    /// Set when the registry was asked to stop: `/readyz` answers 503 while requests in
    /// flight finish.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// This process among the registries on one store (`registry-<random>`): who holds its
    /// claims.
    pub instance: String,
    /// The plans this registry computes or applies.
    pub working: Arc<crate::registry::working::Working>,
    /// The overview, computed once for the requests that want it at once.
    pub overview: Arc<crate::registry::coalesce::Coalesce<crate::registry::overview::view::Overview>>,
    /// The pushes this registry finishes in the background.
    pub pushing: Arc<crate::registry::pushing::Pushing>,
    /// Denials of requests without a valid token not yet counted in their entry.
    pub denials: Arc<crate::audit::denials::Denials>,
}

/// Why the state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Store(#[from] schemareg_adapters::store::StoreError),
    #[error("cannot load the token keys: {0}")]
    Keys(#[from] crate::auth::KeyError),
    #[error("cannot load the secret key: {0}")]
    Secrets(#[from] crate::secrets::SecretError),
}

impl AppState {
    /// Opens the store (plans a stopped registry left computing are marked failed once their
    /// lease runs out) and loads the keys.
    pub async fn new(config: Config, scratch: ScratchServer) -> Result<Self, StateError> {
        let store = Store::open(&config.store_url).await?;
        Self::with_store(config, scratch, store).await
    }

    /// The state around a store already open.
    pub async fn with_store(config: Config, scratch: ScratchServer, store: Store) -> Result<Self, StateError> {
        let failed = store.fail_abandoned_plans().await?;
        if failed > 0 {
            tracing::warn!(failed, "plans abandoned by a stopped registry are marked failed");
        }
        Ok(Self {
            auth: Arc::new(Authenticator::from_config(&config)?),
            secrets: Arc::new(SecretBox::from_config(&config)?),
            metrics: Arc::default(),
            versions: Arc::default(),
            connections: Arc::new(crate::registry::connections::TargetConnections::new(&config)),
            delayed: Arc::default(),
            draining: Arc::default(),
            working: Arc::default(),
            pushing: Arc::default(),
            overview: Arc::default(),
            denials: Arc::default(),
            instance: format!("registry-{}", schemareg_adapters::random_hex(8)),
            config: Arc::new(config),
            scratch: Arc::new(scratch),
            store,
        })
    }
}
