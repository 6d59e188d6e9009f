//! A binding's drift: the drift watch's last observation (what differs, as SQL that would bring
//! the database back to the version).

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};

use super::layout;
use super::session::Session;
use crate::error::ApiError;
use crate::registry::drift;
use crate::state::AppState;

async fn drift(state: &AppState, session: &Session, service: &str, environment: &str) -> Result<Markup, ApiError> {
    session.who.require_read()?;
    session.who.require_scope(Some(service), Some(environment))?;
    let seen = drift::observation(state, (service, environment), None, false).await?;
    let (record, version) = (&seen.record, &seen.version);
    let title = format!("Drift of {service} in {environment}");
    let body = html! {
        h1 { (title) }
        dl {
            dt { "State" } dd { (layout::state(record.state.as_str())) }
            dt { "Compared with" } dd { "version " a href={ "/ui/services/" (service) "/versions/" (version.number) } { (version.number) } " " code { (version.digest) } }
            dt { "Checked" } dd { (record.checked_at) }
            @if let Some(at) = &record.ok_at { dt { "Database last read" } dd { (at) } }
            @if let Some(r) = &record.reason { dt { "Why it could not be read" } dd { (r) } }
            dt { "Changes" } dd { (seen.changes.len()) }
        }
        @if let Some(sql) = record.sql.as_ref().filter(|s| !s.is_empty()) {
            h2 { "What would bring the database back to the version" }
            pre { code { (sql) } }
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
