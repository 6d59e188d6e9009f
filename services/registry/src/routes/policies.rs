//! `/v1/environments/{environment}/policy`: read by anyone, replaced by admins with
//! `If-Match` (the `ETag` that was read), so two admins never overwrite each other unseen.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{self, AuditAction, Event, Origin};
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::problem::responses as r;
use crate::policy::{Current, Policy, current};
use crate::state::AppState;

/// A policy with its version.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"environment": "production", "version": 3, "updated_by": "admin", "updated_at": "2026-11-25T10:00:00.000Z", "policy": {"approvals_required": 2, "approver_roles": ["approver", "admin"], "forbidden_hazards": [], "admin_approval_hazards": ["data_loss"], "concurrently": true, "lock_timeout": "10s", "statement_timeout": "30min"}}))]
pub struct PolicyView {
    pub environment: String,
    /// 0 while the environment has its default policy; also the `ETag`.
    pub version: i64,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
    pub policy: Policy,
}

fn answer(environment: String, c: Current) -> Response {
    let etag = format!("\"{}\"", c.version);
    let view = PolicyView {
        environment,
        version: c.version,
        updated_by: c.updated_by,
        updated_at: c.updated_at,
        policy: c.policy,
    };
    ([(header::ETAG, etag)], Json(view)).into_response()
}

/// Reads an environment's policy; its `ETag` is its version.
#[utoipa::path(get, path = "/v1/environments/{environment}/policy", tag = "environments",
    operation_id = "getPolicy", summary = "Read an environment's policy", security(("bearer" = [])),
    params(("environment" = String, Path, description = "The environment's name", example = "production")),
    responses(
        (status = 200, description = "The policy, with its version as `ETag`", body = PolicyView),
        r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn get_policy(
    State(state): State<AppState>,
    who: Principal,
    Path(environment): Path<String>,
) -> Result<Response, ApiError> {
    who.require_read()?;
    who.require_scope(None, Some(&environment))?;
    state.store.existing_environment(&environment).await?;
    let c = current(&state.store, &environment).await?;
    Ok(answer(environment, c))
}

fn if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    let value = headers.get(header::IF_MATCH).ok_or_else(|| {
        ApiError::PreconditionRequired(
            "replacing a policy needs If-Match with the ETag of the policy you read (GET it first)".into(),
        )
    })?;
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| *v >= 0)
        .ok_or_else(|| ApiError::BadRequest("If-Match must be an ETag this registry gave out, such as \"3\"".into()))
}

/// The fields of [`PolicyView`] besides the policy: read-only, passed over when a client
/// sends back the document it read.
const READ_ONLY: [&str; 4] = ["environment", "version", "updated_by", "updated_at"];

/// The policy a PUT carries: the policy itself, or the whole document GET answered (its
/// read-only fields passed over; the version that counts is `If-Match`).
fn policy_of(body: serde_json::Value) -> Result<Policy, ApiError> {
    let wrapped = body.as_object().is_some_and(|o| {
        o.contains_key("policy") && o.keys().all(|k| k == "policy" || READ_ONLY.contains(&k.as_str()))
    });
    let policy = match wrapped {
        true => body["policy"].clone(),
        false => body,
    };
    let bytes = serde_json::to_vec(&policy).map_err(|e| ApiError::Internal(e.to_string()))?;
    crate::http::extract::parse_json(&bytes)
}

/// Replaces an environment's policy (admin). `If-Match` must carry the version read. The body
/// is the policy, or the document `GET` answered (its read-only fields are passed over).
#[utoipa::path(put, path = "/v1/environments/{environment}/policy", tag = "environments",
    operation_id = "putPolicy", summary = "Replace an environment's policy", security(("bearer" = [])),
    params(("environment" = String, Path, description = "The environment's name", example = "production"),
        ("If-Match" = String, Header, description = "The ETag of the policy read", example = "\"3\"")),
    request_body(content = Policy, content_type = "application/json",
        description = "The policy; the document GET answers is taken too (its `policy`, the other fields passed over)"),
    responses(
        (status = 200, description = "Replaced; the new version is the `ETag`", body = PolicyView),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::PreconditionFailed, r::PayloadTooLarge,
        r::UnsupportedMediaType, r::Unprocessable, r::PreconditionRequired, r::Unavailable,
    ))]
pub async fn put_policy(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    Path(environment): Path<String>,
    headers: HeaderMap,
    policy: JsonBody<serde_json::Value>,
) -> Result<Response, ApiError> {
    who.require(Role::Admin)?;
    // A policy holds for every service of the environment: only an unscoped admin sets it.
    who.require_unscoped()?;
    let policy = policy_of(policy.read().await?)?;
    state.store.existing_environment(&environment).await?;
    let expected = if_match(&headers)?;
    policy.check()?;
    let body = serde_json::to_string(&policy).map_err(|e| ApiError::Internal(e.to_string()))?;
    // The version this write makes, when it is still the next one.
    let event = Event::new(AuditAction::PolicyPut)
        .on_environment(&environment)
        .target(expected + 1)
        .detail(serde_json::to_value(&policy).unwrap_or_default());
    let audited = [audit::by(&who, &origin, event)];
    state
        .store
        .put_policy(&environment, expected, &body, &who.subject, &audited)
        .await?;
    let c = current(&state.store, &environment).await?;
    Ok(answer(environment, c))
}
