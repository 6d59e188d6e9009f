//! `/v1/pushes/{id}`: a push that took longer than a request waits (202), finished in the
//! background; read until it is `done` (its version) or `failed` (the problem it met).

use axum::Json;
use axum::extract::{Path, State};
use schemareg_adapters::store::{PushRecord, PushState};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::http::problem::responses as r;
use crate::state::AppState;

/// A push finished in the background.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "push_3f9a1c0d5e7b2a64", "service": "billing", "state": "done", "version": 4, "created": true, "location": "/v1/services/billing/versions/4", "problem": null, "pushed_by": "ci-bot", "created_at": "2026-11-25T10:00:00.000Z", "updated_at": "2026-11-25T10:00:07.500Z"}))]
pub struct PushView {
    pub id: String,
    pub service: String,
    /// `building` (read it again), `done` (its version) or `failed` (its problem).
    pub state: String,
    /// The version it made or found (done).
    pub version: Option<i64>,
    /// Whether that version is new (done).
    pub created: Option<bool>,
    /// The version's address (done).
    pub location: Option<String>,
    /// Why it failed: the problem document the push would have answered.
    #[schema(value_type = Option<Object>)]
    pub problem: Option<serde_json::Value>,
    pub pushed_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// What a push whose registry stopped before it was done says.
const ABANDONED: &str = "the registry building this push stopped before it was done: push again";

impl From<PushRecord> for PushView {
    fn from(p: PushRecord) -> Self {
        let abandoned = p.abandoned();
        let problem = match abandoned {
            true => Some(
                serde_json::to_value(
                    ApiError::Unavailable(ABANDONED.into())
                        .problem(Some(format!("/v1/services/{}/versions", p.service))),
                )
                .expect("a problem serialises"),
            ),
            false => p.problem.as_deref().and_then(|text| serde_json::from_str(text).ok()),
        };
        let state = match abandoned {
            true => PushState::Failed,
            false => p.state,
        };
        Self {
            location: p.version.map(|v| format!("/v1/services/{}/versions/{v}", p.service)),
            id: p.id,
            service: p.service,
            state: state.as_str().into(),
            version: p.version,
            created: p.created,
            problem,
            pushed_by: p.pushed_by,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// Reads a push that goes on in the background.
#[utoipa::path(get, path = "/v1/pushes/{id}", tag = "versions", operation_id = "getPush",
    summary = "Read a push finished in the background", security(("bearer" = [])),
    params(("id" = String, Path, description = "The push's id, from the `Location` of a 202", example = "push_3f9a1c0d5e7b2a64")),
    responses(
        (status = 200, description = "The push: building, done (its version) or failed (its problem)", body = PushView),
        r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn get_push(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<PushView>, ApiError> {
    who.require_read()?;
    let record = state.store.push_record(&id).await?;
    // Another scope's push is as good as none.
    if !who.covers_service(&record.service) {
        return Err(ApiError::NotFound(format!("push {id:?} does not exist")));
    }
    Ok(Json(PushView::from(record)))
}
