//! `/v1/environments`: the promotion chain (default dev → staging → production).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use schemareg_adapters::store::Environment;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::check_name;
use crate::audit::{self, AuditAction, Event, Origin};
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::middleware::idempotency::Idempotency;
use crate::http::problem::responses as r;
use crate::state::AppState;

/// An environment in the chain.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"name": "staging", "position": 2, "created_at": "1970-01-01T00:00:00Z"}))]
pub struct EnvironmentView {
    pub name: String,
    /// Its place in the chain, from 1 (promotion goes in this order).
    pub position: i64,
    pub created_at: String,
}

impl From<Environment> for EnvironmentView {
    fn from(e: Environment) -> Self {
        Self {
            name: e.name,
            position: e.position,
            created_at: e.created_at,
        }
    }
}

/// The chain, in order.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"name": "dev", "position": 1, "created_at": "1970-01-01T00:00:00Z"}, {"name": "staging", "position": 2, "created_at": "1970-01-01T00:00:00Z"}, {"name": "production", "position": 3, "created_at": "1970-01-01T00:00:00Z"}]}))]
pub struct EnvironmentList {
    pub items: Vec<EnvironmentView>,
}

/// An environment to add at the end of the chain.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "qa"}))]
pub struct CreateEnvironment {
    /// Lowercase letters, digits, `-`, `_`, `.`; at most 63 characters.
    #[schema(pattern = "^[a-z0-9][a-z0-9._-]{0,62}$", max_length = 63)]
    pub name: String,
}

/// Lists the environments in chain order.
#[utoipa::path(get, path = "/v1/environments", tag = "environments", operation_id = "listEnvironments",
    summary = "List environments", security(("bearer" = [])),
    responses(
        (status = 200, description = "The chain, in order", body = EnvironmentList),
        r::Unauthorized, r::Forbidden, r::Unavailable,
    ))]
pub async fn list_environments(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<EnvironmentList>, ApiError> {
    who.require_read()?;
    Ok(Json(EnvironmentList {
        items: state
            .store
            .environments()
            .await?
            .into_iter()
            .filter(|e| who.covers_environment(&e.name))
            .map(Into::into)
            .collect(),
    }))
}

/// Adds an environment at the end of the chain (admin).
#[utoipa::path(post, path = "/v1/environments", tag = "environments", operation_id = "createEnvironment",
    summary = "Add an environment", security(("bearer" = [])),
    request_body(content = CreateEnvironment, content_type = "application/json"),
    responses(
        (status = 201, description = "Added; `Location` names it", body = EnvironmentView),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::Conflict, r::PayloadTooLarge, r::UnsupportedMediaType, r::Unprocessable, r::Unavailable,
    ))]
pub async fn create_environment(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    idem: Idempotency,
    body: JsonBody<CreateEnvironment>,
) -> Result<impl IntoResponse, ApiError> {
    who.require(Role::Admin)?;
    who.require_unscoped()?;
    idem.pass(&state).await?;
    let body = body.read().await?;
    check_name("name", &body.name)?;
    let created = state
        .store
        .create_environment(&body.name, |position| {
            let event = Event::new(AuditAction::EnvironmentCreate)
                .on_environment(&body.name)
                .target(&body.name)
                .detail(serde_json::json!({"position": position}));
            vec![audit::by(&who, &origin, event)]
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/v1/environments/{}", created.name))],
        Json(EnvironmentView::from(created)),
    ))
}
