//! The HTTP application: routes, the OpenAPI document, and the layers around them.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::http::{Request, Uri};
use axum::response::Response;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, problem_response};
use crate::routes::health;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "schemareg", description = "A schema registry for PostgreSQL: versions, drift and verified migration plans."),
    tags((name = "health", description = "Liveness and readiness"))
)]
struct ApiDoc;

fn parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .split_for_parts()
}

/// The OpenAPI document of the service (committed as `openapi/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    parts().1
}

async fn not_found(uri: Uri) -> Response {
    problem_response(ApiError::NotFound(format!("no resource at {}", uri.path())).problem(Some(uri.path().to_string())))
}

/// The service's router.
pub fn app(state: AppState) -> Router {
    let (router, doc) = parts();
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    let limit = state.config.body_limit;
    router
        .route("/openapi.json", axum::routing::get(move || async move { Json(doc) }))
        .fallback(not_found)
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_string();
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}
