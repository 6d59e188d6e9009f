//! Reading the audit log (admins without a scope): filters and pages, oldest first.

use schemareg_adapters::store::{AuditEntry, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::state::AppState;

/// One entry of the log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"seq": 42, "at": "2026-11-25T10:00:00.000Z", "subject": "ci-bot", "action": "version.push", "outcome": "ok", "service": "billing", "environment": null, "target": "3", "detail": {"created": true, "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}, "address": "10.0.0.7", "user_agent": "curl/8.5.0", "request_id": "7b0f7a52-5d1e-4b43-9b55-0c5d5f0a4c11", "repeats": 1}))]
pub struct AuditEntryView {
    /// Its place in the log, from 1, without gaps.
    pub seq: i64,
    pub at: String,
    /// The token's subject (`anonymous` when the token was not valid; `registry` for the
    /// registry's own steps).
    pub subject: String,
    pub action: String,
    /// `ok`, `denied` or `failed`.
    pub outcome: String,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub target: Option<String>,
    pub detail: serde_json::Value,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// How many requests the entry stands for: more than 1 only for denials of requests
    /// without a valid token from one address within one minute, counted in one entry.
    pub repeats: i64,
    /// When the last of them came (with `repeats` above 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_at: Option<String>,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(a: AuditEntry) -> Self {
        let e = a.entry;
        Self {
            seq: a.seq,
            at: a.at,
            subject: e.subject,
            action: e.action,
            outcome: e.outcome,
            service: e.service,
            environment: e.environment,
            target: e.target,
            detail: serde_json::from_str(&e.detail).unwrap_or_default(),
            address: e.address,
            user_agent: e.user_agent,
            request_id: e.request_id,
            repeats: a.repeats,
            last_at: a.last_at,
        }
    }
}

/// A page of the log, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct AuditList {
    pub items: Vec<AuditEntryView>,
    pub next_cursor: Option<String>,
}

/// Filters and paging of the log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub subject: Option<String>,
    /// `service.create`, `version.push`, `environment.create`, `binding.put`, `plan.create`,
    /// `plan.computed`, `denied`, …
    pub action: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub outcome: Option<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Entries per page, 1 to 100 (default 20).
    pub limit: Option<i64>,
}

/// A page of the log as `who` asked for it.
pub async fn page(state: &AppState, who: &Principal, q: AuditQuery) -> Result<AuditList, ApiError> {
    who.require(Role::Admin)?;
    who.require_unscoped()?;
    let page = crate::http::paging::Page {
        cursor: q.cursor,
        limit: q.limit,
    };
    let limit = page.limit()?;
    let after = page.after_number()?;
    let filter = AuditFilter {
        subject: q.subject,
        action: q.action,
        outcome: q.outcome,
        service: q.service,
        environment: q.environment,
    };
    let items = state.store.audit_entries(&filter, after, limit).await?;
    let next = crate::http::paging::next_cursor(items.last().map(|e| e.seq.to_string()), items.len(), limit);
    Ok(AuditList {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor: next,
    })
}
