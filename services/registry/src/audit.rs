//! Recording actions in the audit log: who (the token's subject), what, when, and from where
//! (address, user agent, request id). Denied attempts are recorded by a middleware.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Request, header};
use axum::middleware::Next;
use axum::response::Response;
use schemareg_adapters::store::NewAuditEntry;
use serde_json::Value;

use crate::auth::{Authentication, Principal};
use crate::state::AppState;

/// Where a request came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl Origin {
    fn from_request(headers: &HeaderMap, extensions: &axum::http::Extensions) -> Self {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(String::from);
        Self {
            address: extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
            user_agent: header(header::USER_AGENT.as_str()),
            request_id: header("x-request-id"),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Origin::from_request(&parts.headers, &parts.extensions))
    }
}

/// An action to record.
pub struct Event<'a> {
    pub action: &'a str,
    pub service: Option<&'a str>,
    pub environment: Option<&'a str>,
    pub target: Option<String>,
    pub detail: Value,
}

impl<'a> Event<'a> {
    pub fn new(action: &'a str) -> Self {
        Self {
            action,
            service: None,
            environment: None,
            target: None,
            detail: Value::Object(Default::default()),
        }
    }

    pub fn on(mut self, service: &'a str, environment: Option<&'a str>) -> Self {
        self.service = Some(service);
        self.environment = environment;
        self
    }

    pub fn on_environment(mut self, environment: &'a str) -> Self {
        self.environment = Some(environment);
        self
    }

    pub fn target(mut self, target: impl ToString) -> Self {
        self.target = Some(target.to_string());
        self
    }

    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }
}

/// Appends an entry. The action has happened: a store that cannot take the entry is logged
/// as an error (and shows in /readyz's store check), not turned into a failed request.
pub async fn record(state: &AppState, subject: &str, origin: &Origin, outcome: &str, event: Event<'_>) {
    let entry = NewAuditEntry {
        subject: subject.into(),
        action: event.action.into(),
        outcome: outcome.into(),
        service: event.service.map(String::from),
        environment: event.environment.map(String::from),
        target: event.target,
        detail: event.detail.to_string(),
        address: origin.address.clone(),
        user_agent: origin.user_agent.clone(),
        request_id: origin.request_id.clone(),
    };
    if let Err(e) = state.store.append_audit(&entry).await {
        tracing::error!(action = event.action, error = %e, "cannot append to the audit log");
    }
}

/// Records a successful action of a request's principal.
pub async fn done(state: &AppState, who: &Principal, origin: &Origin, event: Event<'_>) {
    record(state, &who.subject, origin, "ok", event).await
}

/// Middleware: every request refused for its token (401) or its role (403) is recorded, with
/// the subject when the token was valid.
pub async fn denials(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    let origin = Origin::from_request(request.headers(), request.extensions());
    let subject = request
        .extensions()
        .get::<Authentication>()
        .and_then(|a| a.principal())
        .map(|p| p.subject.clone());
    let target = format!("{} {}", request.method(), crate::error::clip(request.uri().path(), 500));
    let response = next.run(request).await;
    let status = response.status().as_u16();
    if status == 401 || status == 403 {
        let subject = subject.unwrap_or_else(|| "anonymous".into());
        let event = Event::new("denied")
            .target(target)
            .detail(serde_json::json!({ "status": status }));
        record(&state, &subject, &origin, "denied", event).await;
    }
    response
}
