//! Reading an environment's live database: its secret resolved, introspected now, scoped.

use std::collections::BTreeMap;

use schemareg_adapters::pg::Target;
use schemareg_adapters::store::{Binding, Service};
use schemareg_engine::plan::TableSize;
use schemareg_engine::{QualifiedName, Scope, Snapshot};

use crate::error::ApiError;
use crate::state::AppState;

/// The live schema of a binding, as read now.
pub struct Live {
    pub snapshot: Snapshot,
    /// The digest of the scoped live schema.
    pub fingerprint: String,
    pub read_at: String,
    pub sizes: BTreeMap<QualifiedName, TableSize>,
    pub scope: Scope,
}

/// Connects to the bound database and reads its schema. A database that does not answer is a
/// 503 that names the service, environment and host (never the URL).
pub async fn read(state: &AppState, service: &Service, binding: &Binding) -> Result<Live, ApiError> {
    let url = state.secrets.resolve(binding)?;
    let place = format!(
        "the database of {} in {} ({})",
        binding.service,
        binding.environment,
        binding.host.as_deref().unwrap_or("unknown host")
    );
    let target = Target::parse(&url).map_err(|e| ApiError::Unavailable(format!("{place}: {e}")))?;
    let client = target
        .connect()
        .await
        .map_err(|e| ApiError::Unavailable(format!("{place} does not answer: {e}")))?;
    let read_at = schemareg_adapters::store::now();
    let (snapshot, _) = schemareg_adapters::introspect::introspect(&client)
        .await
        .map_err(|e| ApiError::Unavailable(format!("{place} cannot be read: {e}")))?;
    let sizes = schemareg_adapters::introspect::table_sizes(&client)
        .await
        .map_err(|e| ApiError::Unavailable(format!("{place} cannot be read: {e}")))?;
    let scope = super::scope_of(service, Some(&binding.scope))?;
    let snapshot = scope.apply(snapshot);
    Ok(Live {
        fingerprint: schemareg_engine::digest(&snapshot),
        snapshot,
        read_at,
        sizes,
        scope,
    })
}
