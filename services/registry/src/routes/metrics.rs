//! `/metrics`: Prometheus metrics (no token needed, like health).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::state::AppState;

/// The registry's metrics in Prometheus' text format.
#[utoipa::path(get, path = "/metrics", tag = "health", operation_id = "metrics", summary = "Prometheus metrics",
    responses((status = 200, description = "Request counts and latencies by method, route and status",
        content((String = "text/plain", example = "schemareg_http_requests_total{method=\"GET\",route=\"/v1/services/{service}\",status=\"200\"} 12")))))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
}
