//! Signing in and out, and the session every page reads. The cookie holds a random key; the
//! store keeps its digest, the token (encrypted with the registry's key), a CSRF token and the
//! end of the session (the token's `exp` at the latest). Each request checks the token again,
//! so a token that expired, or whose key the registry no longer trusts, ends the session.

use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use maud::html;
use schemareg_adapters::store::UiSession;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::layout;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;

const COOKIE: &str = "schemareg_session";

/// A signed-in person: who, and the CSRF token their forms carry.
pub struct Session {
    pub who: Principal,
    pub csrf: String,
    id: String,
}

impl Session {
    /// Whether a form's CSRF token is this session's (a 403 otherwise).
    pub fn check_csrf(&self, given: &str) -> Result<(), ApiError> {
        let (a, b) = (Sha256::digest(given.as_bytes()), Sha256::digest(self.csrf.as_bytes()));
        if a == b && !given.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "this form did not come from this session's page (its CSRF token is missing or wrong): reload the page"
                    .into(),
            ))
        }
    }
}

fn digest(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn cookie_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

/// Where a request without a usable session goes: the sign-in page, saying why.
pub struct SignIn(&'static str);

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        Redirect::to(&format!("/ui/sign-in?why={}", self.0)).into_response()
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(key) = cookie_key(&parts.headers) else {
            return Err(SignIn("signed-out").into_response());
        };
        let id = digest(&key);
        let stored = match state.store.ui_session(&id).await {
            Ok(Some(s)) => s,
            Ok(None) => return Err(SignIn("ended").into_response()),
            Err(e) => return Err(layout::problem(None, &e.into())),
        };
        if stored.expires_at <= schemareg_adapters::store::now() {
            let _ = state.store.delete_ui_session(&id).await;
            return Err(SignIn("expired").into_response());
        }
        let token = state
            .secrets
            .decrypt(&stored.token)
            .map_err(|_| SignIn("ended").into_response())?;
        match state.auth.verify(&token) {
            Ok(who) => Ok(Session {
                who,
                csrf: stored.csrf,
                id,
            }),
            Err(_) => {
                let _ = state.store.delete_ui_session(&id).await;
                Err(SignIn("expired").into_response())
            }
        }
    }
}

#[derive(Deserialize)]
pub struct WhyQuery {
    why: Option<String>,
}

/// The sign-in page: paste a token.
pub async fn sign_in_page(axum::extract::Query(q): axum::extract::Query<WhyQuery>) -> Response {
    let note = match q.why.as_deref() {
        Some("expired") => Some("Your token expired or is no longer accepted: sign in again."),
        Some("ended") => Some("Your session ended: sign in again."),
        Some("signed-out") => Some("Sign in to see the console (a session ends when its token expires)."),
        Some("bye") => Some("Signed out."),
        _ => None,
    };
    form_page(note, None)
}

fn form_page(note: Option<&str>, problem: Option<&str>) -> Response {
    let body = html! {
        h1 { "Sign in" }
        @if let Some(n) = note { p role="status" { (n) } }
        @if let Some(p) = problem { section.problem role="alert" { h2 { "The token was refused" } p { (p) } } }
        form method="post" action="/ui/sign-in" {
            label for="token" { "Bearer token (JWT)" }
            textarea id="token" name="token" rows="4" required autocomplete="off" {}
            p { button type="submit" { "Sign in" } }
        }
        p { "The token is kept encrypted in the registry's store for this session only; the session ends when the token expires or when you sign out." }
    };
    let status = if problem.is_some() {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::OK
    };
    (status, layout::page("Sign in", None, body)).into_response()
}

#[derive(Deserialize)]
pub struct SignInForm {
    token: String,
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

/// Signs in with a token: a session until the token's `exp` (at most 12 hours).
pub async fn sign_in(State(state): State<AppState>, Form(form): Form<SignInForm>) -> Response {
    let token = form.token.trim().to_string();
    let who = match state.auth.verify(&token) {
        Ok(who) => who,
        Err(e) => return form_page(None, Some(&e.to_string())),
    };
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
    let secure = if state.config.public_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={key}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        ends.saturating_sub(now)
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to("/ui")).into_response()
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
