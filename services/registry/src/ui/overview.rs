//! The overview: every service in every environment, with the versions, drift and plans
//! waiting, filtered by service and environment.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::layout;
use super::session::Session;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    service: Option<String>,
    environment: Option<String>,
}

pub async fn page(State(state): State<AppState>, session: Session, Query(filter): Query<Filter>) -> Response {
    let result = crate::registry::overview::read(&state, &session.who).await.map(|o| {
        let wanted = |value: &str, filter: &Option<String>| filter.as_deref().is_none_or(|f| f.is_empty() || f == value);
        let environments: Vec<&String> = o.environments.iter().filter(|e| wanted(e, &filter.environment)).collect();
        let body = html! {
            h1 { "Overview" }
            form method="get" action="/ui" {
                label for="service" { "Service" }
                input id="service" type="text" name="service" value=(filter.service.clone().unwrap_or_default());
                label for="environment" { "Environment" }
                input id="environment" type="text" name="environment" value=(filter.environment.clone().unwrap_or_default());
                p { button type="submit" { "Filter" } }
            }
            div.scroll {
                table {
                    caption { "Services by environment: latest, applied and verified versions, drift, plans waiting" }
                    thead { tr {
                        th scope="col" { "Service" }
                        @for e in &environments { th scope="col" { (e) } }
                    } }
                    tbody {
                        @for s in o.services.iter().filter(|s| wanted(&s.service, &filter.service)) {
                            tr {
                                th scope="row" {
                                    (s.service)
                                    br;
                                    "latest: "
                                    @match s.latest_version {
                                        Some(v) => a href={ "/ui/services/" (s.service) "/versions/" (v) } { (v) },
                                        None => "none",
                                    }
                                }
                                @for p in s.environments.iter().filter(|p| wanted(&p.environment, &filter.environment)) {
                                    td {
                                        @if !p.bound { "not bound" } @else {
                                            "applied: " (p.applied_version.map(|v| v.to_string()).unwrap_or_else(|| "none".into()))
                                            br;
                                            "verified: " (p.verified_version.map(|v| v.to_string()).unwrap_or_else(|| "none".into()))
                                            br;
                                            "drift: "
                                            a href={ "/ui/services/" (s.service) "/environments/" (p.environment) "/drift" } {
                                                (layout::state(p.drift_state.as_deref().unwrap_or("not checked")))
                                            }
                                            @if let Some(at) = &p.drift_last_read_at { br; "read " (layout::age(at)) " (" (at) ")" }
                                            @if let Some(reason) = &p.drift_reason { br; "why: " (reason) }
                                        }
                                        @for id in &p.pending_plans {
                                            br;
                                            a href={ "/ui/plans/" (id) } { "○ plan " (id) " waits for approval" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        layout::page("Overview", Some(&session), body)
    });
    layout::answer(&session, result)
}
