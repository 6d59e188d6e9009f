//! `/v1/services`: the applications whose schemas the registry keeps.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use schemareg_adapters::store::{NewService, Service};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Page, ScopeBody, check_name, next_cursor};
use crate::audit::{self, AuditAction, Event, Origin};
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::middleware::idempotency::Idempotency;
use crate::http::problem::responses as r;
use crate::state::AppState;

/// A service to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "billing", "description": "Invoices and payments", "owners": ["team-payments"], "scope": {"patterns": ["public"], "presets": ["supabase"]}}))]
pub struct CreateService {
    /// Lowercase letters, digits, `-`, `_`, `.`; at most 63 characters.
    #[schema(pattern = "^[a-z0-9][a-z0-9._-]{0,62}$", max_length = 63)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Who owns it (teams or people).
    #[serde(default)]
    pub owners: Vec<String>,
    /// The default scope of its snapshots and databases.
    #[serde(default)]
    pub scope: ScopeBody,
}

/// A service.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"name": "billing", "description": "Invoices and payments", "owners": ["team-payments"], "scope": {"patterns": ["public"], "presets": ["supabase"]}, "created_by": "alice", "created_at": "2026-11-25T10:00:00.000Z"}))]
pub struct ServiceView {
    pub name: String,
    pub description: String,
    pub owners: Vec<String>,
    pub scope: ScopeBody,
    pub created_by: String,
    pub created_at: String,
}

impl From<Service> for ServiceView {
    fn from(s: Service) -> Self {
        Self {
            name: s.name,
            description: s.description,
            owners: s.owners,
            scope: s.scope.into(),
            created_by: s.created_by,
            created_at: s.created_at,
        }
    }
}

/// A page of services.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"name": "billing", "description": "", "owners": [], "scope": {"patterns": [], "presets": []}, "created_by": "alice", "created_at": "2026-11-25T10:00:00.000Z"}], "next_cursor": null}))]
pub struct ServiceList {
    pub items: Vec<ServiceView>,
    /// Give it as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Creates a service (publisher).
#[utoipa::path(post, path = "/v1/services", tag = "services", operation_id = "createService",
    summary = "Create a service", security(("bearer" = [])),
    request_body(content = CreateService, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names it", body = ServiceView),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::Conflict, r::PayloadTooLarge, r::UnsupportedMediaType, r::Unprocessable, r::Unavailable,
    ))]
pub async fn create_service(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    idem: Idempotency,
    body: JsonBody<CreateService>,
) -> Result<impl IntoResponse, ApiError> {
    who.require(Role::Publisher)?;
    let body = body.read().await?;
    check_name("name", &body.name)?;
    who.require_scope(Some(&body.name), None)?;
    idem.pass(&state).await?;
    let event = Event::new(AuditAction::ServiceCreate)
        .on(&body.name, None)
        .target(&body.name);
    let audited = [audit::by(&who, &origin, event)];
    let created = state
        .store
        .create_service(
            &NewService {
                name: body.name.clone(),
                description: body.description,
                owners: body.owners,
                scope: body.scope.checked("scope")?,
                created_by: who.subject.clone(),
            },
            &audited,
        )
        .await?;
    let location = format!("/v1/services/{}", created.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(ServiceView::from(created)),
    ))
}

/// Lists services by name.
#[utoipa::path(get, path = "/v1/services", tag = "services", operation_id = "listServices",
    summary = "List services", security(("bearer" = [])), params(Page),
    responses(
        (status = 200, description = "A page of services", body = ServiceList),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::Unavailable,
    ))]
pub async fn list_services(
    State(state): State<AppState>,
    who: Principal,
    Query(page): Query<Page>,
) -> Result<Json<ServiceList>, ApiError> {
    who.require_read()?;
    let limit = page.limit()?;
    let items = state.store.services(page.after()?.as_deref(), limit).await?;
    let next = next_cursor(items.last().map(|s| s.name.clone()), items.len(), limit);
    Ok(Json(ServiceList {
        items: items
            .into_iter()
            .filter(|s| who.covers_service(&s.name))
            .map(ServiceView::from)
            .collect(),
        next_cursor: next,
    }))
}

/// Reads one service.
#[utoipa::path(get, path = "/v1/services/{service}", tag = "services", operation_id = "getService",
    summary = "Read a service", security(("bearer" = [])),
    params(("service" = String, Path, description = "The service's name")),
    responses(
        (status = 200, description = "The service", body = ServiceView),
        r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn get_service(
    State(state): State<AppState>,
    who: Principal,
    Path(service): Path<String>,
) -> Result<Json<ServiceView>, ApiError> {
    who.require_read()?;
    who.require_scope(Some(&service), None)?;
    Ok(Json(state.store.existing_service(&service).await?.into()))
}
