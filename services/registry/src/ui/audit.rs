//! The audit log for admins: the API's filters (subject, action, outcome, service,
//! environment) and its paging (oldest first, a page at a time).

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};

use super::layout;
use super::session::Session;
use crate::error::ApiError;
use crate::registry::audit_log::{self, AuditQuery};
use crate::state::AppState;

/// The filters as a query string (for the next page's link), without the cursor.
fn filters(q: &AuditQuery) -> Vec<(&'static str, String)> {
    [
        ("subject", &q.subject),
        ("action", &q.action),
        ("outcome", &q.outcome),
        ("service", &q.service),
        ("environment", &q.environment),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().filter(|v| !v.is_empty()).map(|v| (k, v.clone())))
    .collect()
}

fn query_string(pairs: &[(&str, String)]) -> String {
    let mut url = reqwest::Url::parse("http://x/").expect("a valid URL");
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or("").to_string()
}

async fn render(state: &AppState, session: &Session, mut q: AuditQuery) -> Result<Markup, ApiError> {
    // Empty fields of the form mean "any".
    for field in [
        &mut q.subject,
        &mut q.action,
        &mut q.outcome,
        &mut q.service,
        &mut q.environment,
    ] {
        if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
            *field = None;
        }
    }
    let kept = filters(&q);
    let limit = q.limit;
    let page = audit_log::page(state, &session.who, q).await?;
    let value = |k: &str| {
        kept.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let next = page.next_cursor.as_ref().map(|cursor| {
        let mut pairs = kept.clone();
        pairs.push(("cursor", cursor.clone()));
        if let Some(limit) = limit {
            pairs.push(("limit", limit.to_string()));
        }
        format!("/ui/audit?{}", query_string(&pairs))
    });
    let body = html! {
        h1 { "Audit log" }
        form.filters method="get" action="/ui/audit" {
            @for (field, label) in [("subject", "Who (subject)"), ("action", "Action (e.g. plan.approve)"), ("outcome", "Outcome (ok, denied, failed)"), ("service", "Service"), ("environment", "Environment")] {
                div {
                    label for=(field) { (label) }
                    input id=(field) type="text" name=(field) value=(value(field));
                }
            }
            p { button type="submit" { "Filter" } }
        }
        div.scroll {
            table {
                caption { "Entries, oldest first" }
                thead { tr {
                    th scope="col" { "#" } th scope="col" { "When" } th scope="col" { "Who" }
                    th scope="col" { "Action" } th scope="col" { "Outcome" } th scope="col" { "Where" }
                    th scope="col" { "Target" } th scope="col" { "Detail" }
                } }
                tbody {
                    @for e in &page.items {
                        tr {
                            td { (e.seq) } td { (e.at) } td { (e.subject) } td { (e.action) }
                            td { (layout::state(&e.outcome)) }
                            td { (e.service.clone().unwrap_or_default()) @if let Some(env) = &e.environment { " / " (env) } }
                            td {
                                @match e.target.as_deref() {
                                    Some(t) if t.starts_with("plan_") => a href={ "/ui/plans/" (t) } { (t) },
                                    Some(t) => (t),
                                    None => "",
                                }
                            }
                            td { code { (e.detail) } }
                        }
                    }
                }
            }
        }
        @if page.items.is_empty() { p { "No entry matches." } }
        p.paging {
            @if let Some(href) = &next { a href=(href) rel="next" { "Next page" } }
            a href="/ui/audit" { "First page, no filters" }
        }
    };
    Ok(layout::page("Audit log", Some(session), body))
}

/// The audit log (admins without a scope, as the API).
pub async fn page(State(state): State<AppState>, session: Session, Query(q): Query<AuditQuery>) -> Response {
    let result = render(&state, &session, q).await;
    layout::answer(&session, result)
}
