//! Binding a service's database in an environment: the URL checked against the registry's
//! rules and kept encrypted, or a reference to where it is kept (checked where it can be read
//! now); the change audited (how the secret is kept and where it points, never what it is).

use schemareg_adapters::store::{Binding, NewBinding, ScopeSpec, SecretKind};

use crate::audit::{self, AuditAction, Event, Origin};
use crate::auth::Principal;
use crate::error::{ApiError, Invalid};
use crate::state::AppState;

/// Where the database's URL comes from.
pub enum Secret {
    /// The URL itself, kept encrypted.
    Url(String),
    /// A reference to where it is kept (`env:NAME`, `file:/path`).
    Reference(String),
}

/// A 422 about the database's URL or reference, naming the field.
pub fn invalid(field: &str, message: String) -> ApiError {
    ApiError::invalid(Invalid::DatabaseReference, field, message)
}

/// Binds (or binds again) `service`'s database in `environment` for `who` (whose role and scope
/// the caller checked). The binding, and whether it replaced one.
pub async fn bind(
    state: &AppState,
    who: &Principal,
    origin: &Origin,
    (service, environment): (&str, &str),
    secret: Secret,
    scope: ScopeSpec,
) -> Result<(Binding, bool), ApiError> {
    state.store.existing_service(service).await?;
    state.store.existing_environment(environment).await?;
    let (secret_kind, secret, host) = match secret {
        Secret::Url(url) => {
            let target = state
                .secrets
                .target(&url, "database_url")
                .map_err(|e| invalid("database_url", e.to_string()))?;
            (SecretKind::Encrypted, state.secrets.encrypt(&url), Some(target.host()))
        }
        Secret::Reference(reference) => {
            let (kind, name) = state
                .secrets
                .check_reference(&reference)
                .map_err(|e| invalid("database_url_ref", e.to_string()))?;
            // Where the reference can be read now, it must hold an allowed URL; the host is shown
            // only when it does.
            let host = match state.secrets.resolve_secret(kind, &name) {
                Ok(url) => Some(
                    state
                        .secrets
                        .target(&url, &reference)
                        .map_err(|e| invalid("database_url_ref", e.to_string()))?
                        .host(),
                ),
                Err(_) => None,
            };
            (kind, name, host)
        }
    };
    let existed = state.store.binding(service, environment).await?.is_some();
    let event = Event::new(AuditAction::BindingPut)
        .on(service, Some(environment))
        .detail(serde_json::json!({"secret": secret_kind.as_str(), "host": host, "replaced": existed}));
    let audited = [audit::by(who, origin, event)];
    let bound = state
        .store
        .put_binding(
            service,
            environment,
            &NewBinding {
                secret_kind,
                secret,
                host,
                scope,
                updated_by: who.subject.clone(),
            },
            &audited,
        )
        .await?;
    tracing::info!(%service, %environment, kind = secret_kind.as_str(), "database bound");
    Ok((bound, existed))
}

/// The binding of `service` in `environment` (never its URL).
pub async fn read(state: &AppState, service: &str, environment: &str) -> Result<Binding, ApiError> {
    state.store.existing_service(service).await?;
    state.store.existing_environment(environment).await?;
    Ok(state.store.existing_binding(service, environment).await?)
}
