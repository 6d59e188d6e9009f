//! `/v1/overview`: what runs where, in one call, for dashboards.

use axum::Json;
use axum::extract::State;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::http::problem::responses as r;
use crate::registry::overview::{self, Overview};
use crate::state::AppState;

/// For each service and environment: latest version, applied and verified versions, drift
/// state and when it was checked, plans waiting for approval.
#[utoipa::path(get, path = "/v1/overview", tag = "overview", operation_id = "getOverview",
    summary = "What runs where", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every service in every environment", body = Overview),
        r::Unauthorized, r::Forbidden, r::Unavailable,
    ))]
pub async fn get_overview(State(state): State<AppState>, who: Principal) -> Result<Json<Overview>, ApiError> {
    overview::read(&state, &who).await.map(Json)
}
