//! The operators' console at `/ui`: server-rendered pages (maud), no script needed, nothing
//! from the internet. A person signs in by pasting a token; the session lives in the store
//! (an HttpOnly, SameSite=Strict cookie holds its key) and every form carries its CSRF token.
//! Pages call the same use cases as the API, so the server refuses what a person may not do
//! whether or not a button was shown.

mod layout;
mod overview;
mod pages;
mod plan;
mod session;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The console's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui", get(overview::page))
        .route("/ui/sign-in", get(session::sign_in_page).post(session::sign_in))
        .route("/ui/sign-out", post(session::sign_out))
        .route("/ui/plans/{id}", get(plan::page))
        .route("/ui/plans/{id}/{action}", post(plan::act))
        .route("/ui/services/{service}/versions/{version}", get(pages::version_page))
        .route(
            "/ui/services/{service}/environments/{environment}/drift",
            get(pages::drift_page),
        )
}
