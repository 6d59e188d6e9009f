//! A binding's drift: the drift watch's last observation (what differs, as SQL that would bring
//! the database back to the version).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};

use super::layout;
use super::session::Session;
use crate::error::ApiError;
use crate::routes::drift::{DriftParams, get_drift};
use crate::state::AppState;

async fn drift(state: &AppState, session: &Session, service: &str, environment: &str) -> Result<Markup, ApiError> {
    let params = DriftParams {
        version: None,
        refresh: false,
    };
    let view = get_drift(
        State(state.clone()),
        session.who.clone(),
        Path((service.to_string(), environment.to_string())),
        Query(params),
    )
    .await?
    .0;
    let title = format!("Drift of {service} in {environment}");
    let body = html! {
        h1 { (title) }
        dl {
            dt { "State" } dd { (layout::state(&view.state)) }
            dt { "Compared with" } dd { "version " a href={ "/ui/services/" (service) "/versions/" (view.version) } { (view.version) } " " code { (view.version_digest) } }
            dt { "Checked" } dd { (view.read_at) }
            @if let Some(at) = &view.last_read_at { dt { "Database last read" } dd { (at) } }
            @if let Some(r) = &view.reason { dt { "Why it could not be read" } dd { (r) } }
            dt { "Changes" } dd { (view.changes.len()) }
        }
        @if !view.sql.is_empty() {
            h2 { "What would bring the database back to the version" }
            pre { code { (view.sql) } }
        }
    };
    Ok(layout::page(&title, Some(session), body))
}

/// A service's database in an environment compared with its version, as last observed.
pub async fn drift_page(
    State(state): State<AppState>,
    session: Session,
    Path((service, environment)): Path<(String, String)>,
) -> Response {
    let result = drift(&state, &session, &service, &environment).await;
    layout::answer(&session, result)
}
