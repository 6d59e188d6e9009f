//! The HTTP application: routes, the OpenAPI document, and the layers around them.

use std::time::Duration;

use axum::Router;
use axum::http::{Request, Uri};
use axum::response::Response;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::http::problem::problem_response;
use crate::routes::{
    applies, approvals, audit, bindings, drift, environments, health, metrics, overview, plans, policies, pushes,
    services, versions, webhooks,
};
use crate::state::AppState;

fn parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(crate::http::openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(services::create_service, services::list_services))
        .routes(routes!(services::get_service))
        .routes(routes!(versions::push_version, versions::list_versions))
        .routes(routes!(versions::get_version))
        .routes(routes!(pushes::get_push))
        .routes(routes!(versions::get_snapshot))
        .routes(routes!(versions::diff_versions))
        .routes(routes!(
            environments::list_environments,
            environments::create_environment
        ))
        .routes(routes!(bindings::bind_database, bindings::get_binding))
        .routes(routes!(drift::get_drift))
        .routes(routes!(plans::create_plan))
        .routes(routes!(plans::get_plan))
        .routes(routes!(approvals::approve_plan))
        .routes(routes!(approvals::reject_plan))
        .routes(routes!(approvals::cancel_plan))
        .routes(routes!(applies::apply_plan))
        .routes(routes!(applies::report_plan))
        .routes(routes!(plans::list_plans))
        .routes(routes!(overview::get_overview))
        .routes(routes!(audit::list_audit))
        .routes(routes!(policies::get_policy, policies::put_policy))
        .routes(routes!(webhooks::create_webhook, webhooks::list_webhooks))
        .routes(routes!(
            webhooks::get_webhook,
            webhooks::update_webhook,
            webhooks::delete_webhook
        ))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::get_delivery))
        .routes(routes!(webhooks::redeliver))
        .split_for_parts();
    crate::http::openapi::conventions(&mut doc);
    (router, doc)
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
        .merge(
            Router::from(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", doc))
                .layer(axum::middleware::map_response(crate::http::docs::secure)),
        )
        .merge(crate::ui::router(state.clone()))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::middleware::idempotency::idempotent,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::middleware::metrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::middleware::denials::denials,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::middleware::authenticate::authenticate,
        ))
        .with_state(state)
        // Bodies are read after the caller is checked (403 before 413): by LazyBody and the
        // idempotency layer up to body_limit, by axum's extractors (the console's forms) too.
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(axum::middleware::from_fn(
            crate::http::middleware::problems::problems_everywhere,
        ))
        // Large bodies (snapshots, plans, lists) go out gzip or brotli when the client asks.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .compress_when(tower_http::compression::predicate::SizeAbove::new(1024)),
        )
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
