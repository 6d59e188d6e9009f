//! `Idempotency-Key` on POSTs: the first request with a key runs and its answer is kept; a
//! retry with the same key and the same request gets that answer (marked
//! `Idempotent-Replayed: true`, audited as a replay), never a second action. The same key
//! with another request is a 422; a retry while the first still runs is a 409. Keys belong to
//! the token's subject.
//!
//! The layer reads the body and makes a [`Gate`]; the handler opens it with
//! [`Idempotency::pass`] once it has checked the caller's role and scope, before it acts. So a
//! kept answer is given only to a request that passes the same checks as the first: another
//! token of the same subject without the role gets its 403, not the first answer (which may
//! hold a secret).

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use schemareg_adapters::store::{Claim, KeptAnswer};

use crate::audit::{AuditAction, Event, Origin, record};
use crate::error::{ApiError, FieldError, Invalid};
use crate::http::extract::BodyTooLarge;
use crate::http::middleware::authenticate::Authentication;
use crate::state::AppState;

const HEADER: &str = "idempotency-key";
/// The headers of an answer that a replay gives again (`Cache-Control: no-store` also says
/// that the kept body is encrypted).
const KEPT: [HeaderName; 5] = [
    header::CACHE_CONTROL,
    header::CONTENT_TYPE,
    header::LOCATION,
    header::RETRY_AFTER,
    header::ETAG,
];

/// The `Cache-Control` of answers that carry a secret.
const NO_STORE: &str = "no-store";

fn valid(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// A request's key, its subject and what the request was, until a handler passes it.
pub struct Gate {
    subject: String,
    key: String,
    fingerprint: String,
    passed: Mutex<Passed>,
}

enum Passed {
    NotYet,
    New,
    Replay(KeptAnswer),
    /// The first request with the key still runs.
    Running,
}

/// The gate of a request with an `Idempotency-Key` (none without one).
#[derive(Clone, Default)]
pub struct Idempotency(Option<Arc<Gate>>);

impl<S: Send + Sync> FromRequestParts<S> for Idempotency {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Idempotency(parts.extensions.get::<Arc<Gate>>().cloned()))
    }
}

impl Idempotency {
    /// Called by a handler once the caller may do what it asks, before it acts. A request seen
    /// before is answered as it was (the layer gives the kept answer: this returns
    /// [`ApiError::Replayed`], which the handler passes on); the same key with another request
    /// is a 422, with one still running a 409.
    pub async fn pass(&self, state: &AppState) -> Result<(), ApiError> {
        let Some(gate) = &self.0 else { return Ok(()) };
        let (subject, key) = (&gate.subject, &gate.key);
        match state.store.claim_key(subject, key, &gate.fingerprint).await? {
            Claim::New => {
                *gate.passed.lock().expect("never poisoned") = Passed::New;
                Ok(())
            }
            Claim::Replay(kept) => {
                *gate.passed.lock().expect("never poisoned") = Passed::Replay(kept);
                Err(ApiError::Replayed)
            }
            Claim::Mismatch => Err(ApiError::Unprocessable(
                Invalid::IdempotencyKeyReused,
                format!("Idempotency-Key {key:?} was used for another request: use a new key"),
                vec![FieldError::new("Idempotency-Key", "reused for another request")],
            )),
            Claim::InProgress => {
                *gate.passed.lock().expect("never poisoned") = Passed::Running;
                Err(ApiError::Conflict(format!(
                    "the first request with Idempotency-Key {key:?} is still running: retry later"
                )))
            }
        }
    }
}

pub async fn idempotent(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(key) = request
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().unwrap_or("").to_string())
    else {
        return next.run(request).await;
    };
    let subject = request
        .extensions()
        .get::<Authentication>()
        .and_then(|a| a.principal())
        .map(|p| p.subject.clone());
    let Some(subject) = subject else {
        // Not authenticated: the request is refused further in, nothing to remember.
        return next.run(request).await;
    };
    if !valid(&key) {
        return ApiError::invalid(
            Invalid::IdempotencyKey,
            "Idempotency-Key",
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        )
        .into_response();
    }
    let origin = Origin::from_request(request.headers(), request.extensions());
    let target = format!("POST {}", crate::text::clip(request.uri().path(), 500));
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, state.config.body_limit).await else {
        // Too large: the handler checks the caller first, and says 413 when it reads the body.
        parts.extensions.insert(BodyTooLarge);
        return next.run(Request::from_parts(parts, Body::empty())).await;
    };
    let fingerprint = {
        let mut seen = Vec::with_capacity(bytes.len() + 128);
        seen.extend_from_slice(parts.uri.to_string().as_bytes());
        seen.push(0);
        if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
            seen.extend_from_slice(ct.as_bytes());
        }
        seen.push(0);
        seen.extend_from_slice(&bytes);
        schemareg_engine::canonical::sha256_digest(&seen)
    };
    let gate = Arc::new(Gate {
        subject: subject.clone(),
        key: key.clone(),
        fingerprint,
        passed: Mutex::new(Passed::NotYet),
    });
    parts.extensions.insert(gate.clone());
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let passed = std::mem::replace(&mut *gate.passed.lock().expect("never poisoned"), Passed::NotYet);
    match passed {
        Passed::New => keep(&state, &subject, &key, response).await,
        Passed::Replay(kept) => {
            let event = Event::new(AuditAction::Replay)
                .target(target)
                .detail(serde_json::json!({"status": kept.status}));
            record(&state, &subject, &origin, "replayed", event).await;
            replay(&state, kept)
        }
        Passed::Running => {
            let mut response = response;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
        Passed::NotYet => {
            if response.status().is_success() {
                tracing::error!(%target, "a handler acted on a request with an Idempotency-Key without passing its gate");
            }
            response
        }
    }
}

/// Keeps the answer (a server-side failure is given back, so that a retry may run) and
/// returns it.
async fn keep(state: &AppState, subject: &str, key: &str, response: Response) -> Response {
    if response.status().is_server_error() {
        if let Err(e) = state.store.forget_key(subject, key).await {
            tracing::warn!(error = %e, "cannot give an idempotency key back");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let headers: Vec<(String, String)> = KEPT
        .iter()
        .filter_map(|name| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| (name.to_string(), v.to_string()))
        })
        .collect();
    // An answer that carries a secret (a new webhook's signing secret: `no-store`) is kept
    // encrypted with the registry's key, as the secret itself is.
    let body = String::from_utf8_lossy(&bytes).to_string();
    let secret = sealed(&headers);
    let kept = KeptAnswer {
        status: parts.status.as_u16(),
        headers: serde_json::to_string(&headers).unwrap_or_default(),
        body: match secret {
            true => state.secrets.encrypt(&body),
            false => body,
        },
    };
    if let Err(e) = state.store.keep_answer(subject, key, &kept).await {
        tracing::warn!(error = %e, "cannot keep an idempotent answer");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether an answer's kept headers mark it as carrying a secret (its body kept encrypted).
fn sealed(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .any(|(n, v)| n.as_str() == header::CACHE_CONTROL.as_str() && v.contains(NO_STORE))
}

fn replay(state: &AppState, kept: KeptAnswer) -> Response {
    let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
    let headers: Vec<(String, String)> = serde_json::from_str(&kept.headers).unwrap_or_default();
    let body = match sealed(&headers) {
        false => kept.body,
        true => match state.secrets.decrypt(&kept.body) {
            Ok(plain) => plain,
            Err(_) => {
                return ApiError::Conflict(
                    "the first answer to this Idempotency-Key cannot be read with this registry's key \
                     (secret_key changed): use a new key"
                        .into(),
                )
                .into_response();
            }
        },
    };
    let mut response = (status, Bytes::from(body)).into_response();
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().insert(n, v);
        }
    }
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
