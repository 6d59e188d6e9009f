//! What every page shares: the frame (who is signed in, sign out), styles that work without
//! colour (states have words and symbols), and problems shown as the API's title and detail.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::session::Session;
use crate::error::ApiError;

const STYLE: &str = "
body{font-family:system-ui,sans-serif;margin:0;line-height:1.45;color:#111;background:#fff;overflow-wrap:anywhere}
dd{margin-left:1rem}
code{word-break:break-all}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;padding:.6rem 1rem;border-bottom:2px solid #111}
header a{color:inherit}
main{padding:1rem;max-width:72rem;margin:0 auto}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #555;padding:.35rem .5rem;text-align:left;vertical-align:top}
.scroll{overflow-x:auto}
pre{white-space:pre-wrap;word-break:break-word;background:#f3f3f3;padding:.5rem;border:1px solid #999}
.problem{border:2px solid #a00;padding:.5rem 1rem;margin:1rem 0}
.hazard{font-weight:bold}
form.inline{display:inline-block;margin:.25rem .5rem .25rem 0}
button{font:inherit;padding:.3rem .8rem}
label{display:block;margin:.5rem 0 .2rem}
textarea,input[type=text],input[type=password]{width:100%;max-width:40rem;box-sizing:border-box;font:inherit}
";

/// A whole page.
pub fn page(title: &str, session: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · schemareg" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                header {
                    a href="/ui" { strong { "schemareg" } }
                    @if let Some(s) = session {
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
                main { (body) }
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
