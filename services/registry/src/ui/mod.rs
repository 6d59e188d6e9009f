//! The operators' console at `/ui`: server-rendered pages (maud), one small script of its own
//! (a plan computing or applying follows its state without a reload), nothing from the
//! internet. A person signs in by pasting a token; the session lives in the store (an
//! HttpOnly, SameSite=Strict cookie holds its key) and every form carries its CSRF token.
//! Pages call the same use cases as the API, so the server refuses what a person may not do
//! whether or not a button was shown.

mod assets;
mod audit;
mod drift;
mod layout;
mod origin;
mod overview;
mod plan;
mod session;
mod sign_in;
mod steps;
mod version;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The console's routes; their POSTs must come from the registry's own pages.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/ui", get(overview::page))
        .route("/ui/sign-in", get(sign_in::sign_in_page).post(sign_in::sign_in))
        .route("/ui/sign-out", post(sign_in::sign_out))
        .route("/ui/plans/{id}", get(plan::page))
        .route("/ui/plans/{id}/{action}", post(plan::act))
        .route("/ui/services/{service}/versions/{version}", get(version::version_page))
        .route("/ui/services/{service}/diff", get(version::diff_page))
        .route(
            "/ui/services/{service}/environments/{environment}/drift",
            get(drift::drift_page),
        )
        .route("/ui/audit", get(audit::page))
        .route(assets::CSS_PATH, get(assets::css))
        .route(assets::JS_PATH, get(assets::js))
        .layer(axum::middleware::from_fn_with_state(state, origin::same_origin))
        .layer(axum::middleware::map_response(assets::secure))
}
