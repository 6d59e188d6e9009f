//! Recording actions in the audit log: who (the token's subject), what, when, and from where
//! (address, user agent, request id). Denied attempts are recorded by a middleware
//! (`http::middleware::denials`).
//!
//! What a client sends is kept clipped: each text to the most below, so that an entry stays
//! small whatever the request held (a 60 KB `User-Agent` was kept whole, on every denied
//! request).

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, header};
pub use schemareg_adapters::store::AuditAction;
use schemareg_adapters::store::NewAuditEntry;
use serde_json::Value;

pub mod denials;

use crate::auth::Principal;
use crate::state::AppState;
use crate::text::clip;

/// The most of a user agent an entry keeps, in characters.
pub const MAX_USER_AGENT: usize = 256;
/// The most of a request id (which a client may send).
pub const MAX_REQUEST_ID: usize = 128;
/// The most of a subject and of a target.
pub const MAX_SUBJECT: usize = 256;
pub const MAX_TARGET: usize = 512;
/// The most of each text in an entry's detail (a comment, a reason), and of the detail as a
/// whole, as JSON.
pub const MAX_DETAIL_TEXT: usize = 1000;
pub const MAX_DETAIL: usize = 8192;

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
    pub action: AuditAction,
    pub service: Option<&'a str>,
    pub environment: Option<&'a str>,
    pub target: Option<String>,
    pub detail: Value,
}

impl<'a> Event<'a> {
    pub fn new(action: AuditAction) -> Self {
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

/// The entry of an event, every text clipped (for the store to write with the change it
/// records, or for [`record`]).
pub fn entry(subject: &str, origin: &Origin, outcome: &str, event: Event<'_>) -> NewAuditEntry {
    let clipped = |text: &Option<String>, max| text.as_deref().map(|t| clip(t, max));
    NewAuditEntry {
        subject: clip(subject, MAX_SUBJECT),
        action: event.action.as_str().into(),
        outcome: outcome.into(),
        service: event.service.map(String::from),
        environment: event.environment.map(String::from),
        target: clipped(&event.target, MAX_TARGET),
        detail: detail_text(event.detail),
        address: origin.address.clone(),
        user_agent: clipped(&origin.user_agent, MAX_USER_AGENT),
        request_id: clipped(&origin.request_id, MAX_REQUEST_ID),
    }
}

/// The detail as JSON text: each text in it clipped, and the whole kept under [`MAX_DETAIL`]
/// (else `{"clipped": "<its first part>"}`).
fn detail_text(mut detail: Value) -> String {
    fn clip_texts(v: &mut Value) {
        match v {
            Value::String(s) if s.chars().count() > MAX_DETAIL_TEXT => *s = clip(s, MAX_DETAIL_TEXT),
            Value::Array(items) => items.iter_mut().for_each(clip_texts),
            Value::Object(fields) => fields.values_mut().for_each(clip_texts),
            _ => {}
        }
    }
    clip_texts(&mut detail);
    let text = detail.to_string();
    if text.len() <= MAX_DETAIL {
        return text;
    }
    serde_json::json!({ "clipped": clip(&text, MAX_DETAIL / 2) }).to_string()
}

/// The entry of an action `who` did (outcome `ok`), for the store to write with the change.
pub fn by(who: &Principal, origin: &Origin, event: Event<'_>) -> NewAuditEntry {
    entry(&who.subject, origin, "ok", event)
}

/// The entry of an action the registry did itself, for the store to write with the change.
pub fn by_registry(origin: &Origin, outcome: &str, event: Event<'_>) -> NewAuditEntry {
    entry("registry", origin, outcome, event)
}

/// Appends an entry. The action has happened: a store that cannot take the entry is logged
/// as an error (and shows in /readyz's store check), not turned into a failed request.
pub async fn record(state: &AppState, subject: &str, origin: &Origin, outcome: &str, event: Event<'_>) {
    let action = event.action.as_str();
    if let Err(e) = state.store.append_audit(&entry(subject, origin, outcome, event)).await {
        tracing::error!(action, error = %e, "cannot append to the audit log");
    }
}

/// Records a denial of a request without a valid token: repeats from one address within a
/// minute are counted in one entry (written at most once a second).
pub async fn record_anonymous_denial(state: &AppState, origin: &Origin, event: Event<'_>) {
    let entry = entry(schemareg_adapters::store::ANONYMOUS, origin, "denied", event);
    let at = schemareg_adapters::store::now();
    let minute = at[..16.min(at.len())].to_string();
    let Some(address) = entry.address.clone() else {
        return append(state, &entry).await;
    };
    match state.denials.count(&address, &minute) {
        Some(None) => {}
        Some(Some((seq, n))) => save(state, seq, n).await,
        None => match state.store.append_anonymous_denial(&entry).await {
            Ok(seq) => state.denials.started(address, minute, seq),
            Err(e) => tracing::error!(action = "denied", error = %e, "cannot append to the audit log"),
        },
    }
}

async fn append(state: &AppState, entry: &NewAuditEntry) {
    if let Err(e) = state.store.append_audit(entry).await {
        tracing::error!(action = %entry.action, error = %e, "cannot append to the audit log");
    }
}

async fn save(state: &AppState, seq: i64, n: i64) {
    if let Err(e) = state.store.count_repeats(seq, n).await {
        tracing::error!(error = %e, "cannot count denials in the audit log");
    }
}

/// Writes the counts of anonymous denials still held, every second.
pub fn spawn_denial_counts(state: AppState) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(denials::SAVE_EVERY).await;
            save_denial_counts(&state).await;
        }
    });
}

/// Writes the counts of anonymous denials held (when the registry stops, too).
pub async fn save_denial_counts(state: &AppState) {
    let at = schemareg_adapters::store::now();
    for (seq, n) in state.denials.take_unsaved(&at[..16.min(at.len())]) {
        save(state, seq, n).await;
    }
}

/// Lets go of audit entries older than `audit_retention_days`, once an hour (when it is set).
pub fn spawn_retention(state: AppState) {
    let Some(days) = state.config.audit_retention_days else {
        return;
    };
    tokio::spawn(async move {
        loop {
            let before = time::OffsetDateTime::now_utc() - time::Duration::days(days as i64);
            match state
                .store
                .forget_audit_before(&schemareg_adapters::store::timestamp(before))
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(entries = n, days, "audit entries past their retention let go"),
                Err(e) => tracing::warn!(error = %e, "cannot let go of old audit entries"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
}
