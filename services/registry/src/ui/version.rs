//! A version's page (its provenance and its schema as DDL) and the diff between two versions
//! (the steps that take one to the other, as on a plan's page).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use schemareg_engine::plan::{PlanOptions, ScriptOptions, plan, render_script};
use serde::Deserialize;

use super::session::Session;
use super::{layout, steps};
use crate::error::ApiError;
use crate::state::AppState;

async fn version(state: &AppState, session: &Session, service: &str, version: &str) -> Result<Markup, ApiError> {
    session.who.require_read()?;
    session.who.require_scope(Some(service), None)?;
    let at = crate::registry::version_ref(version)?;
    let kept = crate::registry::versions::find(&state.store, &state.versions, service, &at).await?;
    let snapshot = crate::registry::parsed(&kept)?;
    let ddl = render_script(
        &plan(&Default::default(), &snapshot, &PlanOptions::default()),
        &ScriptOptions::default(),
    );
    let v = &kept.version;
    let title = format!("{service} version {}", v.number);
    let body = html! {
        h1 { (title) }
        dl {
            dt { "Digest" } dd { code { (v.digest) } }
            dt { "Pushed by" } dd { (v.pushed_by) " at " (v.created_at) }
            @if let Some(c) = &v.commit { dt { "Commit" } dd { code { (c) } } }
            @if let Some(u) = &v.pipeline_url { dt { "Pipeline" } dd { (u) } }
        }
        @if v.number > 1 {
            p { a href={ "/ui/services/" (service) "/diff?from=" (v.number - 1) "&to=" (v.number) } { "What changed since version " (v.number - 1) } }
        }
        (compare_form(service, &(v.number - 1).max(1).to_string(), &v.number.to_string()))
        h2 { "The schema as DDL" }
        pre { code { (ddl) } }
    };
    Ok(layout::page(&title, Some(session), body))
}

/// A version of a service: its provenance and its schema as DDL.
pub async fn version_page(
    State(state): State<AppState>,
    session: Session,
    Path((service, number)): Path<(String, String)>,
) -> Response {
    let result = version(&state, &session, &service, &number).await;
    layout::answer(&session, result)
}

/// The two versions a diff compares (numbers, `latest` or digests).
#[derive(Debug, Deserialize)]
pub struct Between {
    from: Option<String>,
    to: Option<String>,
}

fn compare_form(service: &str, from: &str, to: &str) -> Markup {
    html! {
        form method="get" action={ "/ui/services/" (service) "/diff" } {
            h2 { "Compare two versions" }
            label for="from" { "From version (a number, latest or a digest)" }
            input id="from" type="text" name="from" value=(from);
            label for="to" { "To version" }
            input id="to" type="text" name="to" value=(to);
            p { button type="submit" { "Compare" } }
        }
    }
}

async fn diff(state: &AppState, session: &Session, service: &str, between: &Between) -> Result<Markup, ApiError> {
    session.who.require_read()?;
    session.who.require_scope(Some(service), None)?;
    let from_text = between.from.clone().unwrap_or_else(|| "1".into());
    let to_text = between.to.clone().unwrap_or_else(|| "latest".into());
    let find = |text: String| async move {
        let at = crate::registry::version_ref(&text)?;
        crate::registry::versions::find(&state.store, &state.versions, service, &at).await
    };
    let (from, to) = (find(from_text.clone()).await?, find(to_text.clone()).await?);
    let computed = plan(
        &crate::registry::parsed(&from)?,
        &crate::registry::parsed(&to)?,
        &PlanOptions::default(),
    );
    let (a, b) = (from.version.number, to.version.number);
    let title = format!("{service}: version {a} to version {b}");
    let version_link = |n: i64| html! { a href={ "/ui/services/" (service) "/versions/" (n) } { "version " (n) } };
    let body = html! {
        h1 { (title) }
        dl {
            dt { "From" } dd { (version_link(a)) " " code { (from.version.digest) } }
            dt { "To" } dd { (version_link(b)) " " code { (to.version.digest) } }
            dt { "Steps" } dd { (computed.steps.len()) }
        }
        p { "The steps that take one version's schema to the other's, as a plan from a database at " (a) " would run them." }
        (compare_form(service, &from_text, &to_text))
        h2 { "Steps" }
        (steps::list(&computed.steps))
    };
    Ok(layout::page(&title, Some(session), body))
}

/// The diff between two versions of a service: `?from=&to=` (default 1 and latest).
pub async fn diff_page(
    State(state): State<AppState>,
    session: Session,
    Path(service): Path<String>,
    Query(between): Query<Between>,
) -> Response {
    let result = diff(&state, &session, &service, &between).await;
    layout::answer(&session, result)
}
