//! The promotion gate: a version goes to an environment only once it is verified in the
//! environment before it in the chain, unless an admin overrides with a written reason.

use schemareg_adapters::store::{Store, Version};

use crate::auth::{Principal, Role};
use crate::error::ApiError;

/// Checks the gate for planning `version` of `service` in `environment`. Returns the override
/// reason when an admin used one to pass a closed gate.
pub async fn gate(
    store: &Store,
    who: &Principal,
    service: &str,
    environment: &str,
    version: &Version,
    override_reason: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    if override_reason.is_some() && reason.is_none() {
        return Err(ApiError::invalid(
            crate::error::Invalid::Override,
            "override_reason",
            "override_reason is empty: say why the gate is overridden",
        ));
    }
    if reason.is_some() {
        who.require(Role::Admin)
            .map_err(|_| ApiError::Forbidden("only an admin may override the promotion gate".into()))?;
    }
    let chain = store.environments().await?;
    let Some(index) = chain.iter().position(|e| e.name == environment) else {
        return Err(ApiError::NotFound(format!(
            "environment {environment:?} does not exist"
        )));
    };
    let Some(previous) = index.checked_sub(1).map(|i| &chain[i]) else {
        return Ok(None);
    };
    let verified = store
        .binding(service, &previous.name)
        .await?
        .and_then(|b| b.verified_version);
    if verified == Some(version.number) {
        return Ok(None);
    }
    match reason {
        Some(r) => Ok(Some(r.to_string())),
        None => Err(ApiError::Conflict(format!(
            "version {} of {service} is not verified in {} ({}): apply and verify it there first; an admin may \
             override with override_reason",
            version.number,
            previous.name,
            match verified {
                Some(n) => format!("version {n} is verified there"),
                None => "no version is verified there".into(),
            }
        ))),
    }
}
