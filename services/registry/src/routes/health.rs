//! `/healthz` (the process answers) and `/readyz` (its dependencies answer).

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::http::problem::responses as r;
use crate::state::AppState;

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", operation_id = "healthz", summary = "Liveness",
    responses((status = 200, description = "The process answers", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The service can do its work: the scratch server answers.
#[utoipa::path(get, path = "/readyz", tag = "health", operation_id = "readyz", summary = "Readiness",
    responses(
        (status = 200, description = "Ready", body = Health),
        r::Unavailable,
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(ApiError::Unavailable(
            "the registry is stopping: requests in flight finish, new ones go to another replica".into(),
        ));
    }
    state.scratch.admin().connect().await.map_err(|e| {
        // Where it is and what it said go to the log; this answer needs no token.
        tracing::warn!(host = %state.scratch.admin().host(), error = %e.detail(), "the scratch server does not answer");
        ApiError::Unavailable(format!("the scratch server does not answer: {}", e.said()))
    })?;
    Ok(Json(Health { status: "ok" }))
}
