//! `/v1/services/{service}/environments/{environment}`: a service's database in an environment.
//! The database URL is write-only: answers say whether it is set, how it is kept, and its host.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use schemareg_adapters::pg::Target;
use schemareg_adapters::store::{Binding, NewBinding, SecretKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ScopeBody;
use crate::audit::{self, Event, Origin};
use crate::auth::{Principal, Role};
use crate::error::{ApiError, FieldError, responses as r};
use crate::state::AppState;

/// A database to bind: its URL (stored encrypted) or a reference to a secret of the registry's
/// machine (`env:NAME` or `file:/path`), and optionally a scope of its own.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"database_url_ref": "env:BILLING_DEV_DATABASE_URL", "scope": {"patterns": [], "presets": ["supabase"]}}))]
pub struct BindDatabase {
    /// `postgres://…`; write-only, never shown again.
    pub database_url: Option<String>,
    /// `env:NAME` or `file:/absolute/path`, read when the database is reached.
    pub database_url_ref: Option<String>,
    /// The scope in this environment (default: the service's).
    #[serde(default)]
    pub scope: ScopeBody,
}

/// How the database URL is kept (never the URL itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseView {
    pub set: bool,
    /// `encrypted`, `env` or `file`.
    pub kind: String,
    /// The variable or file for `env` and `file`.
    pub reference: Option<String>,
    /// The server's host and port, when known.
    pub host: Option<String>,
}

/// The last drift check.
#[derive(Debug, Serialize, ToSchema)]
pub struct DriftSummary {
    /// `in_sync` or `drifted`.
    pub state: String,
    pub version: Option<i64>,
    pub checked_at: String,
    pub live_fingerprint: Option<String>,
}

/// A service's database in an environment.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"service": "billing", "environment": "dev", "database": {"set": true, "kind": "encrypted", "reference": null, "host": "db.internal:5432"}, "scope": {"patterns": [], "presets": ["supabase"]}, "updated_by": "admin", "updated_at": "2026-11-25T10:00:00.000Z", "drift": null, "verified_version": null, "applied_version": null}))]
pub struct BindingView {
    pub service: String,
    pub environment: String,
    pub database: DatabaseView,
    pub scope: ScopeBody,
    pub updated_by: String,
    pub updated_at: String,
    pub drift: Option<DriftSummary>,
    /// The newest version the live database was found equal to.
    pub verified_version: Option<i64>,
    pub applied_version: Option<i64>,
}

impl From<Binding> for BindingView {
    fn from(b: Binding) -> Self {
        Self {
            database: DatabaseView {
                set: !b.secret.is_empty(),
                kind: b.secret_kind.as_str().into(),
                reference: (b.secret_kind != SecretKind::Encrypted).then(|| b.secret.clone()),
                host: b.host,
            },
            service: b.service,
            environment: b.environment,
            scope: b.scope.into(),
            updated_by: b.updated_by,
            updated_at: b.updated_at,
            drift: b.drift.map(|d| DriftSummary {
                state: d.state,
                version: d.version,
                checked_at: d.checked_at,
                live_fingerprint: d.fingerprint,
            }),
            verified_version: b.verified_version,
            applied_version: b.applied_version,
        }
    }
}

fn invalid(field: &str, message: String) -> ApiError {
    ApiError::Unprocessable(message.clone(), vec![FieldError::new(field, message)])
}

fn host_of(url: &str) -> Option<String> {
    Target::parse(url).ok().map(|t| t.host())
}

/// Binds (or rebinds) the service's database in an environment (admin).
#[utoipa::path(put, path = "/v1/services/{service}/environments/{environment}", tag = "bindings",
    operation_id = "bindDatabase", summary = "Bind a database", security(("bearer" = [])),
    params(("service" = String, Path, description = "The service's name"),
        ("environment" = String, Path, description = "The environment's name", example = "dev")),
    request_body(content = BindDatabase, content_type = "application/json"),
    responses(
        (status = 200, description = "Rebound", body = BindingView),
        (status = 201, description = "Bound", body = BindingView),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::PayloadTooLarge, r::UnsupportedMediaType, r::Unprocessable, r::Unavailable,
    ))]
pub async fn bind_database(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    Path((service, environment)): Path<(String, String)>,
    Json(body): Json<BindDatabase>,
) -> Result<impl IntoResponse, ApiError> {
    who.require(Role::Admin)?;
    who.require_scope(Some(&service), Some(&environment))?;
    state.store.existing_service(&service).await?;
    state.store.existing_environment(&environment).await?;
    let (secret_kind, secret, host) = match (body.database_url, body.database_url_ref) {
        (Some(url), None) => {
            let target = Target::parse(&url).map_err(|e| invalid("database_url", e.to_string()))?;
            if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
                return Err(invalid("database_url", "give a postgres:// URL".into()));
            }
            (SecretKind::Encrypted, state.secrets.encrypt(&url), Some(target.host()))
        }
        (None, Some(reference)) => {
            if let Some(name) = reference.strip_prefix("env:") {
                let ok = !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !name.starts_with(|c: char| c.is_ascii_digit());
                if !ok {
                    return Err(invalid(
                        "database_url_ref",
                        format!("{name:?} is not an environment variable name"),
                    ));
                }
                (
                    SecretKind::Env,
                    name.to_string(),
                    std::env::var(name).ok().and_then(|u| host_of(&u)),
                )
            } else if let Some(path) = reference.strip_prefix("file:") {
                if !path.starts_with('/') {
                    return Err(invalid("database_url_ref", format!("{path:?} is not an absolute path")));
                }
                let host = std::fs::read_to_string(path).ok().and_then(|u| host_of(u.trim()));
                (SecretKind::File, path.to_string(), host)
            } else {
                return Err(invalid("database_url_ref", "write env:NAME or file:/path".into()));
            }
        }
        _ => {
            return Err(invalid(
                "database_url",
                "give exactly one of database_url and database_url_ref".into(),
            ));
        }
    };
    let existed = state.store.binding(&service, &environment).await?.is_some();
    let bound = state
        .store
        .put_binding(
            &service,
            &environment,
            &NewBinding {
                secret_kind,
                secret,
                host,
                scope: body.scope.checked("scope")?,
                updated_by: who.subject.clone(),
            },
        )
        .await?;
    tracing::info!(%service, %environment, kind = secret_kind.as_str(), "database bound");
    // The secret changed: the log says how it is kept and where it points, never what it is.
    let event = Event::new("binding.put")
        .on(&service, Some(&environment))
        .detail(serde_json::json!({"secret": secret_kind.as_str(), "host": bound.host, "replaced": existed}));
    audit::done(&state, &who, &origin, event).await;
    let status = if existed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(BindingView::from(bound))))
}

/// Reads the service's binding in an environment.
#[utoipa::path(get, path = "/v1/services/{service}/environments/{environment}", tag = "bindings",
    operation_id = "getBinding", summary = "Read a binding", security(("bearer" = [])),
    params(("service" = String, Path, description = "The service's name"),
        ("environment" = String, Path, description = "The environment's name", example = "dev")),
    responses(
        (status = 200, description = "The binding (never the URL)", body = BindingView),
        r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn get_binding(
    State(state): State<AppState>,
    who: Principal,
    Path((service, environment)): Path<(String, String)>,
) -> Result<Json<BindingView>, ApiError> {
    who.require_read()?;
    who.require_scope(Some(&service), Some(&environment))?;
    state.store.existing_service(&service).await?;
    state.store.existing_environment(&environment).await?;
    Ok(Json(state.store.existing_binding(&service, &environment).await?.into()))
}
