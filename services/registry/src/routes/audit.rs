//! `/v1/audit`: the audit log, for admins. Read-only: there is no operation that changes or
//! deletes an entry (the registry counts repeated anonymous denials in one, and lets old
//! ones go when `audit_retention_days` is set).

use crate::auth::Principal;
use crate::error::ApiError;
use crate::http::problem::responses as r;
use crate::registry::audit_log;
pub use crate::registry::audit_log::{AuditEntryView, AuditList, AuditQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};

/// Reads the audit log (admin), oldest first, with filters.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", operation_id = "listAudit",
    summary = "Read the audit log", security(("bearer" = [])), params(AuditQuery),
    responses(
        (status = 200, description = "A page of the log", body = AuditList),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::Unavailable,
    ))]
pub async fn list_audit(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditList>, ApiError> {
    audit_log::page(&state, &who, q).await.map(Json)
}
