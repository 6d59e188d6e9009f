//! Recording actions in the audit log: who (the token's subject), what, when, and from where
//! (address, user agent, request id). Denied attempts are recorded by a middleware
//! (`http::middleware::denials`).

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, header};
use schemareg_adapters::store::NewAuditEntry;
use serde_json::Value;

use crate::auth::Principal;
use crate::state::AppState;

/// Where a request came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl Origin {
    /// Where a request with these headers and extensions came from.
    pub fn from_request(headers: &HeaderMap, extensions: &axum::http::Extensions) -> Self {
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
