//! Signing in and out of the console. Signing in is protected (a page elsewhere must not sign
//! a browser in as someone else): the sign-in page sets a pre-session cookie and its form
//! carries that cookie's tag, which only the registry can make; the POST must bring both (and
//! come from the registry's origin, as every console POST must). Signing in again ends the
//! session the browser had.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use maud::html;
use schemareg_adapters::store::UiSession;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::layout;
use super::session::{COOKIE, PRESESSION, SIGN_IN, Session, cookie, cookie_key, digest, same, secure};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct WhyQuery {
    why: Option<String>,
}

/// The sign-in page: paste a token.
pub async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<WhyQuery>,
) -> Response {
    let note = match q.why.as_deref() {
        Some("expired") => Some("Your token expired or is no longer accepted: sign in again."),
        Some("ended") => Some("Your session ended: sign in again."),
        Some("signed-out") => Some("Sign in to see the console (a session ends when its token expires)."),
        Some("bye") => Some("Signed out."),
        _ => None,
    };
    form_page(&state, &headers, note, None, axum::http::StatusCode::OK)
}

/// The sign-in form, with the tag of the browser's pre-session (made here when it has none).
fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    note: Option<&str>,
    problem: Option<(&str, &str)>,
    status: axum::http::StatusCode,
) -> Response {
    let presession = cookie(headers, PRESESSION).unwrap_or_else(random_key);
    let tag = state.secrets.tag(SIGN_IN, &presession);
    let body = html! {
        h1 { "Sign in" }
        @if let Some(n) = note { p role="status" { (n) } }
        @if let Some((title, p)) = problem { section.problem role="alert" { h2 { (title) } p { (p) } } }
        form method="post" action="/ui/sign-in" {
            input type="hidden" name="csrf" value=(tag);
            label for="token" { "Bearer token (JWT)" }
            textarea id="token" name="token" rows="4" required autocomplete="off" {}
            p { button type="submit" { "Sign in" } }
        }
        p { "The token is kept encrypted in the registry's store for this session only; the session ends when the token expires or when you sign out." }
    };
    let cookie = format!(
        "{PRESESSION}={presession}; Path=/ui/sign-in; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        secure(state)
    );
    (
        status,
        [(header::SET_COOKIE, cookie)],
        layout::page("Sign in", None, body),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct SignInForm {
    token: String,
    #[serde(default)]
    csrf: String,
}

/// The `exp` of a token already verified.
fn expiry(token: &str) -> Option<u64> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes).ok()?["exp"].as_u64()
}

fn random_key() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the system's random source works");
    URL_SAFE_NO_PAD.encode(b)
}

/// Signs in with a token: a session until the token's `exp` (at most 12 hours). The form must
/// carry the tag of the browser's pre-session; the session the browser had ends.
pub async fn sign_in(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<SignInForm>) -> Response {
    let from_our_page = cookie(&headers, PRESESSION)
        .is_some_and(|p| !form.csrf.is_empty() && same(&form.csrf, &state.secrets.tag(SIGN_IN, &p)));
    if !from_our_page {
        let why = "this sign-in did not come from this registry's sign-in page (its form token is missing or \
                   wrong): sign in from the form below";
        return form_page(
            &state,
            &headers,
            None,
            Some(("The sign-in was refused", why)),
            axum::http::StatusCode::FORBIDDEN,
        );
    }
    let token = form.token.trim().to_string();
    let who = match state.auth.verify(&token) {
        Ok(who) => who,
        Err(e) => {
            let status = axum::http::StatusCode::UNAUTHORIZED;
            return form_page(
                &state,
                &headers,
                None,
                Some(("The token was refused", &e.to_string())),
                status,
            );
        }
    };
    if let Some(old) = cookie_key(&headers)
        && let Err(e) = state.store.delete_ui_session(&digest(&old)).await
    {
        return layout::problem(None, &e.into());
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
    let ends = expiry(&token).unwrap_or(now).min(now + 12 * 3600);
    let key = random_key();
    let session = UiSession {
        id: digest(&key),
        subject: who.subject.clone(),
        token: state.secrets.encrypt(&token),
        csrf: STANDARD.encode(Sha256::digest(random_key().as_bytes())),
        expires_at: schemareg_adapters::store::timestamp(
            time::OffsetDateTime::from_unix_timestamp(ends as i64).unwrap_or_else(|_| time::OffsetDateTime::now_utc()),
        ),
    };
    if let Err(e) = state.store.create_ui_session(&session).await {
        return layout::problem(None, &e.into());
    }
    let session_cookie = format!(
        "{COOKIE}={key}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={}{}",
        ends.saturating_sub(now),
        secure(&state)
    );
    // The pre-session is spent: the next sign-in page makes another.
    let spent = format!("{PRESESSION}=; Path=/ui/sign-in; HttpOnly; SameSite=Strict; Max-Age=0");
    let mut response = Redirect::to("/ui").into_response();
    for c in [session_cookie, spent] {
        if let Ok(v) = axum::http::HeaderValue::from_str(&c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// Signs out: the session ends in the store, and the cookie is cleared.
pub async fn sign_out(State(state): State<AppState>, session: Session, Form(form): Form<CsrfForm>) -> Response {
    if let Err(e) = session.check_csrf(&form.csrf) {
        return layout::problem(Some(&session), &e);
    }
    if let Err(e) = state.store.delete_ui_session(&session.id).await {
        return layout::problem(Some(&session), &e.into());
    }
    let cookie = format!("{COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/ui/sign-in?why=bye")).into_response()
}
