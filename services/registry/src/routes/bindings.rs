//! `/v1/services/{service}/environments/{environment}`: a service's database in an environment.
//! The database URL is write-only: answers say whether it is set, how it is kept, and its host.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use schemareg_adapters::store::{Binding, SecretKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ScopeBody;
use crate::audit::Origin;
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::problem::responses as r;
use crate::registry::bindings::{self, Secret};
use crate::state::AppState;

/// A database to bind: its URL (stored encrypted) or a reference to a secret of the registry's
/// machine (`env:NAME` or `file:/path`), and optionally a scope of its own.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"database_url_ref": "env:SCHEMAREG_DB_BILLING_DEV", "scope": {"patterns": [], "presets": ["supabase"]}}))]
pub struct BindDatabase {
    /// `postgres://…`; write-only, never shown again.
    pub database_url: Option<String>,
    /// `env:NAME` (a variable of the registry's process whose name starts with its
    /// `secret_env_prefix`, by default `SCHEMAREG_DB_`) or `file:/absolute/path` (in one of its
    /// `secret_file_dirs`), read when the database is reached.
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
    #[schema(schema_with = crate::http::openapi::secret_kind)]
    pub kind: String,
    /// The variable or file for `env` and `file`.
    pub reference: Option<String>,
    /// The server's host and port, when known.
    pub host: Option<String>,
}

/// The last drift check.
#[derive(Debug, Serialize, ToSchema)]
pub struct DriftSummary {
    /// `in_sync`, `drifted`, or `unknown` (the database could not be read: see `reason`).
    #[schema(schema_with = crate::http::openapi::drift_state)]
    pub state: String,
    pub version: Option<i64>,
    pub checked_at: String,
    pub live_fingerprint: Option<String>,
    /// How many changes take the live database to the version.
    pub changed_objects: Option<i64>,
    /// Why the database could not be read.
    pub reason: Option<String>,
    /// When the database was last read successfully.
    pub last_read_at: Option<String>,
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
                state: d.state.as_str().into(),
                version: d.version,
                checked_at: d.checked_at,
                live_fingerprint: d.fingerprint,
                changed_objects: d.changed,
                reason: d.reason,
                last_read_at: d.ok_at,
            }),
            verified_version: b.verified_version,
            applied_version: b.applied_version,
        }
    }
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
    body: JsonBody<BindDatabase>,
) -> Result<impl IntoResponse, ApiError> {
    who.require(Role::Admin)?;
    who.require_scope(Some(&service), Some(&environment))?;
    let body = body.read().await?;
    let secret = match (body.database_url, body.database_url_ref) {
        (Some(url), None) => Secret::Url(url),
        (None, Some(reference)) => Secret::Reference(reference),
        _ => {
            return Err(bindings::invalid(
                "database_url",
                "give exactly one of database_url and database_url_ref".into(),
            ));
        }
    };
    let scope = body.scope.checked("scope")?;
    let (bound, existed) = bindings::bind(&state, &who, &origin, (&service, &environment), secret, scope).await?;
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
    Ok(Json(bindings::read(&state, &service, &environment).await?.into()))
}
