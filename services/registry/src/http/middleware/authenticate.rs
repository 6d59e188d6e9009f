//! Authentication, once per request: the bearer token is read (the one place the
//! `Authorization` header is parsed) and verified, and the outcome put in the request's
//! extensions for the handlers ([`crate::auth::Principal`]), the audit of denials and
//! `Idempotency-Key`.

use axum::http::header;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;

/// The token of an `Authorization: Bearer <JWT>` header (the scheme in any case, as RFC 9110
/// has it); the one place the header is read. `None` when there is no such header, an error
/// when it is there but not a bearer token.
pub fn bearer(headers: &axum::http::HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || ApiError::Unauthorized("the Authorization header is not `Bearer <JWT>`".into());
    let text = value.to_str().map_err(|_| bad())?.trim();
    let (scheme, token) = text.split_once([' ', '\t']).ok_or_else(bad)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(bad());
    }
    Ok(Some(token))
}

/// Who a request comes from, as found by [`authenticate`]: a principal, no token, or a token
/// refused (and why).
#[derive(Debug, Clone)]
pub struct Authentication(pub Result<Option<Principal>, String>);

impl Authentication {
    /// The principal of a valid token.
    pub fn principal(&self) -> Option<&Principal> {
        self.0.as_ref().ok().and_then(Option::as_ref)
    }
}

/// Middleware: reads and verifies the bearer token once per request; handlers, the audit of
/// denials and `Idempotency-Key` all take the outcome from the request's extensions.
pub async fn authenticate(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let found = Authentication::of(&state, request.headers());
    request.extensions_mut().insert(found);
    next.run(request).await
}

impl Authentication {
    pub(crate) fn of(state: &AppState, headers: &axum::http::HeaderMap) -> Self {
        Authentication(match bearer(headers) {
            Ok(None) => Ok(None),
            Ok(Some(token)) => state.auth.verify(token).map(Some).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        })
    }
}
