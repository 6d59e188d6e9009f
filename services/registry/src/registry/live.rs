//! Reading an environment's live database: its secret resolved, introspected now, scoped.

use std::time::Duration;

use schemareg_adapters::compare::Planned;
use schemareg_adapters::pg::{Client, Failure, Pooled, Target};
use schemareg_adapters::store::{Binding, Service};
use schemareg_engine::plan::{Applier, PlanOptions};
use schemareg_engine::{Scope, Snapshot};

use crate::error::ApiError;
use crate::state::AppState;

/// The live schema of a binding, as read now.
pub struct Live {
    pub snapshot: Snapshot,
    /// The digest of the scoped live schema.
    pub fingerprint: String,
    pub read_at: String,
    pub scope: Scope,
    /// The role the registry connects as: it applies plans, so it owns what they create.
    pub applier: Applier,
}

/// The database a binding points at, read from its secret under the registry's rules. A
/// secret that cannot be read or does not hold an allowed URL is a 409 that names the binding
/// and its reference, never what the secret holds.
pub fn target(state: &AppState, binding: &Binding) -> Result<Target, ApiError> {
    resolved(state, binding).map(|(_, target)| target)
}

fn resolved(state: &AppState, binding: &Binding) -> Result<(String, Target), ApiError> {
    let unusable = |e: crate::secrets::SecretError| {
        ApiError::UnusableBinding(format!(
            "the binding of {} in {} cannot be used: {e}; an admin must bind the database again",
            binding.service, binding.environment
        ))
    };
    let url = state.secrets.resolve(binding).map_err(unusable)?;
    let target = state
        .secrets
        .target(&url, &crate::secrets::reference_of(binding))
        .map_err(unusable)?
        .with_budget(state.connections.budget().clone());
    Ok((url, target))
}

/// A connection to the bound database within the budget of its server (an idle one to the
/// same URL when there is one), and where it goes. A database that does not answer, or no
/// place in the budget in time, is a 503 that names the binding and the kind of failure; where
/// it is (host and port) and what the server said go to the log, never into an answer.
/// `within`: how long to wait for a place at most (else the configured wait).
pub async fn connect(
    state: &AppState,
    binding: &Binding,
    within: Option<Duration>,
) -> Result<(Pooled, Target), ApiError> {
    let (url, target) = resolved(state, binding)?;
    let client = state
        .connections
        .client((&binding.service, &binding.environment), &url, &target, within)
        .await
        .map_err(|e| does_not_answer((&binding.service, &binding.environment), &target, &e))?;
    Ok((client, target))
}

/// A bound database that could not be reached: a 503 that names the binding and the kind of
/// failure; where it is and what the server said go to the log.
pub fn does_not_answer(
    (service, environment): (&str, &str),
    target: &Target,
    e: &schemareg_adapters::pg::ConnectError,
) -> ApiError {
    if e.failure() == Some(Failure::Busy) {
        // The server was never asked: the registry's own budget for it is in use.
        tracing::info!(%service, %environment, host = %target.host(), "no place in the connection budget of a bound database server in time");
        return ApiError::Busy(format!(
            "the registry's connections to the database server of {service} in {environment} all stayed busy (its connection budget): try again shortly"
        ));
    }
    tracing::warn!(%service, %environment, host = %target.host(), error = %e.detail(), "a bound database does not answer");
    ApiError::Unavailable(format!(
        "the database of {service} in {environment} does not answer: {}",
        e.said()
    ))
}

/// Connects to the bound database and reads its schema.
pub async fn read(state: &AppState, service: &Service, binding: &Binding) -> Result<Live, ApiError> {
    let (client, _) = connect(state, binding, None).await?;
    read_on(&client, service, binding).await
}

/// Reads the bound database's schema on a connection already open to it.
pub async fn read_on(client: &Client, service: &Service, binding: &Binding) -> Result<Live, ApiError> {
    let place = place(binding);
    let read_at = schemareg_adapters::store::now();
    let (snapshot, _) = schemareg_adapters::introspect::introspect(client)
        .await
        .map_err(|e| ApiError::Unavailable(format!("{place} cannot be read: {e}")))?;
    let applier = schemareg_adapters::introspect::applier(client)
        .await
        .map_err(|e| ApiError::Unavailable(format!("{place} cannot be read: {e}")))?;
    let scope = super::scope_of(service, Some(&binding.scope))?;
    let snapshot = scope.apply(snapshot);
    Ok(Live {
        fingerprint: schemareg_engine::digest(&snapshot),
        snapshot,
        read_at,
        scope,
        applier,
    })
}

/// The bound database read on `client` and planned to `version` of the service: the one way
/// plans and drift checks are made (the schema read and scoped, the version scoped as the live
/// database is, then [`plan_to`]). The live snapshot has moved into the plan's comparison.
pub async fn plan_version(
    state: &AppState,
    client: &Client,
    service: &Service,
    binding: &Binding,
    version: i64,
    options: PlanOptions,
) -> Result<(Live, Planned), ApiError> {
    let mut live = read_on(client, service, binding).await?;
    let wanted = live
        .scope
        .apply(super::snapshot_of(state, &service.name, version).await?);
    let planned = plan_to(state, client, binding, &mut live, wanted, options).await?;
    Ok((live, planned))
}

/// The plan from the bound database's schema, as `live` read it on `client`, to `wanted` (a
/// version, scoped as the live database is), made the one way plans are made
/// ([`schemareg_adapters::compare::plan_live`]): the version's unowned objects and default
/// privileges named as the role the registry connects as (the live database reads its own
/// so), both sides settled where needed, compared once, and the sizes of the tables the plan
/// looks up read on `client`. The live snapshot moves into the comparison.
async fn plan_to(
    state: &AppState,
    client: &Client,
    binding: &Binding,
    live: &mut Live,
    mut wanted: Snapshot,
    mut options: PlanOptions,
) -> Result<Planned, ApiError> {
    wanted.as_applied_by(&live.applier.role);
    options.applier = Some(live.applier.clone());
    let from = std::mem::take(&mut live.snapshot);
    let planned =
        schemareg_adapters::compare::plan_live(&*state.scratch, &live.scope, Some(client), from, wanted, options)
            .await
            .map_err(|e| ApiError::Unavailable(format!("{} cannot be read: {e}", place(binding))))?;
    if let Some(warning) = &planned.warning {
        tracing::warn!(service = %binding.service, environment = %binding.environment, "{warning}");
    }
    Ok(planned)
}

/// The bound database as messages name it (never its URL or address).
fn place(binding: &Binding) -> String {
    format!("the database of {} in {}", binding.service, binding.environment)
}
