//! The session every page reads (signing in and out is `sign_in.rs`). The cookie holds a
//! random key; the store keeps its digest, the token (encrypted with the registry's key), a
//! CSRF token and the end of the session (the token's `exp` at the latest). Each request
//! checks the token again, so a token that expired, or whose key the registry no longer
//! trusts, ends the session.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;

pub(super) const COOKIE: &str = "schemareg_session";
/// The cookie of a browser that opened the sign-in page.
pub(super) const PRESESSION: &str = "schemareg_presession";
/// What a pre-session's tag is for.
pub(super) const SIGN_IN: &str = "console sign-in";

/// A signed-in person: who, and the CSRF token their forms carry.
pub struct Session {
    pub who: Principal,
    pub csrf: String,
    pub(super) id: String,
}

impl Session {
    /// Whether a form's CSRF token is this session's (a 403 otherwise).
    pub fn check_csrf(&self, given: &str) -> Result<(), ApiError> {
        if same(given, &self.csrf) && !given.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "this form did not come from this session's page (its CSRF token is missing or wrong): reload the page"
                    .into(),
            ))
        }
    }
}

pub(super) fn digest(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn cookie_key(headers: &HeaderMap) -> Option<String> {
    cookie(headers, COOKIE)
}

pub(super) fn cookie(headers: &HeaderMap, wanted: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

/// Whether two texts are equal, in time that does not depend on where they differ.
pub(super) fn same(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// `; Secure` when the registry is reached over https.
pub(super) fn secure(state: &AppState) -> &'static str {
    if state.config.public_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// Where a request without a usable session goes: the sign-in page, saying why.
pub struct SignIn(&'static str);

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        Redirect::to(&format!("/ui/sign-in?why={}", self.0)).into_response()
    }
}

/// Why a request has no session: sent to the sign-in page, or the store failed (a page of
/// its own, made by the layout).
pub enum Refused {
    SignIn(SignIn),
    Failed(ApiError),
}

impl From<SignIn> for Refused {
    fn from(s: SignIn) -> Self {
        Refused::SignIn(s)
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(key) = cookie_key(&parts.headers) else {
            return Err(SignIn("signed-out").into());
        };
        let id = digest(&key);
        let stored = match state.store.ui_session(&id).await {
            Ok(Some(s)) => s,
            Ok(None) => return Err(SignIn("ended").into()),
            Err(e) => return Err(Refused::Failed(e.into())),
        };
        if stored.expires_at <= schemareg_adapters::store::now() {
            let _ = state.store.delete_ui_session(&id).await;
            return Err(SignIn("expired").into());
        }
        let token = state.secrets.decrypt(&stored.token).map_err(|_| SignIn("ended"))?;
        match state.auth.verify(&token) {
            Ok(who) => Ok(Session {
                who,
                csrf: stored.csrf,
                id,
            }),
            Err(_) => {
                let _ = state.store.delete_ui_session(&id).await;
                Err(SignIn("expired").into())
            }
        }
    }
}
