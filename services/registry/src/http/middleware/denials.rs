//! The audit of denials: every request refused for its token (401) or its role or scope (403)
//! is recorded, with the subject when the token was valid.

use axum::body::Body;
use axum::extract::State;
use axum::http::Request;
use axum::middleware::Next;
use axum::response::Response;

use crate::audit::{AuditAction, Event, Origin, record, record_anonymous_denial};
use crate::http::middleware::authenticate::Authentication;
use crate::state::AppState;

/// Middleware: every request refused for its token (401) or its role (403) is recorded, with
/// the subject when the token was valid.
pub async fn denials(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    let origin = Origin::from_request(request.headers(), request.extensions());
    let subject = request
        .extensions()
        .get::<Authentication>()
        .and_then(|a| a.principal())
        .map(|p| p.subject.clone());
    let target = format!("{} {}", request.method(), crate::text::clip(request.uri().path(), 500));
    let response = next.run(request).await;
    let status = response.status().as_u16();
    if status == 401 || status == 403 {
        let event = Event::new(AuditAction::Denied)
            .target(target)
            .detail(serde_json::json!({ "status": status }));
        match subject {
            Some(subject) => record(&state, &subject, &origin, "denied", event).await,
            None => record_anonymous_denial(&state, &origin, event).await,
        }
    }
    response
}
