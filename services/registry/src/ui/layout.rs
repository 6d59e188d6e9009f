//! What every page shares: the frame (who is signed in, sign out), styles that work without
//! colour (states have words and symbols), and problems shown as the API's title and detail.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::session::{Refused, Session};
use crate::error::ApiError;

/// A whole page.
pub fn page(title: &str, session: Option<&Session>, body: Markup) -> Markup {
    frame(title, session, body, false)
}

/// A page whose state the registry is changing: its main part is read again every two
/// seconds (by the console's script, without a reload; else by a meta refresh).
pub fn refreshing_page(title: &str, session: Option<&Session>, body: Markup) -> Markup {
    frame(title, session, body, true)
}

fn frame(title: &str, session: Option<&Session>, body: Markup, refresh: bool) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · schemareg" }
                link rel="stylesheet" href=(super::assets::CSS_PATH);
                script src=(super::assets::JS_PATH) defer {}
                @if refresh { noscript { meta http-equiv="refresh" content="2"; } }
            }
            body {
                header {
                    a href="/ui" { strong { "schemareg" } }
                    @if let Some(s) = session {
                        nav aria-label="Console" {
                            a href="/ui" { "Overview" }
                            @if s.who.require(crate::auth::Role::Admin).is_ok() && s.who.require_unscoped().is_ok() {
                                a href="/ui/audit" { "Audit log" }
                            }
                        }
                        span {
                            "Signed in as " strong { (s.who.subject) }
                            " (roles: " (roles(s)) ")"
                            @if let Some(services) = &s.who.services { " · services: " (services.join(", ")) }
                            @if let Some(envs) = &s.who.environments { " · environments: " (envs.join(", ")) }
                        }
                        form.inline method="post" action="/ui/sign-out" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                @if refresh { main data-refresh { (body) } } @else { main { (body) } }
            }
        }
    }
}

fn roles(s: &Session) -> String {
    let roles: Vec<&str> = s.who.roles.iter().map(|r| r.as_str()).collect();
    if roles.is_empty() {
        "reader".into()
    } else {
        roles.join(", ")
    }
}

/// A state as a word and a symbol (never colour alone).
pub fn state(state: &str) -> Markup {
    let symbol = match state {
        "verified" | "in_sync" => "✔",
        "approved" | "applied" => "✓",
        "pending_approval" | "computing" | "applying" => "○",
        "failed" | "rejected" | "drifted" | "stale" => "✖",
        "unknown" => "?",
        _ => "•",
    };
    html! { span.state { (symbol) " " (state.replace('_', " ")) } }
}

/// A problem from the API, in the page: its title and detail, nothing else.
pub fn problem(session: Option<&Session>, e: &ApiError) -> Response {
    let p = e.problem(None);
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = html! {
        section.problem role="alert" {
            h1 { (p.title) }
            p { (p.detail) }
            p { a href="/ui" { "Back to the overview" } }
        }
    };
    (status, page(&p.title, session, body)).into_response()
}

/// A page, or the problem that kept it from being shown.
pub fn answer(session: &Session, result: Result<Markup, ApiError>) -> Response {
    match result {
        Ok(markup) => (StatusCode::OK, markup).into_response(),
        Err(e) => problem(Some(session), &e),
    }
}

/// How long ago a stored time (RFC 3339) was, in words: "42 s ago", "5 min ago", "3 h ago",
/// "2 days ago" (empty when it cannot be read).
pub fn age(at: &str) -> String {
    let Ok(then) = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339) else {
        return String::new();
    };
    let secs = (time::OffsetDateTime::now_utc() - then).whole_seconds().max(0);
    match secs {
        s if s < 120 => format!("{s} s ago"),
        s if s < 7200 => format!("{} min ago", s / 60),
        s if s < 172_800 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86_400),
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::SignIn(to) => to.into_response(),
            Refused::Failed(e) => problem(None, &e),
        }
    }
}
