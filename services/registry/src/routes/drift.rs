//! `/v1/services/{service}/environments/{environment}/drift`: the live database compared with
//! a version: the watch's last observation, or read now (`?refresh=true`, another version than
//! the one observed, or never observed).

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::http::problem::responses as r;
use crate::registry::drift;
use crate::state::AppState;

/// Which version to compare with, and whether to read the database now.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DriftParams {
    /// A number, `latest` or `sha256:<digest>`; default: the version last applied there, else
    /// the latest.
    #[param(pattern = "^([1-9][0-9]{0,17}|latest|sha256:[0-9a-fA-F]{64})$")]
    pub version: Option<String>,
    /// Read the database now rather than answer the last observation.
    #[serde(default)]
    pub refresh: bool,
}

/// What differs between the live database and a version.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"service": "billing", "environment": "dev", "version": 3, "version_digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "state": "drifted", "live_fingerprint": "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", "read_at": "2026-11-25T10:00:00.000Z", "last_read_at": "2026-11-25T10:00:00.000Z", "reason": null, "changes": [{"kind": "add_column", "table": "public.users", "column": "bio"}], "sql": "ALTER TABLE \"public\".\"users\" ADD COLUMN \"bio\" text;"}))]
pub struct DriftView {
    pub service: String,
    pub environment: String,
    /// The version compared with.
    pub version: i64,
    pub version_digest: String,
    /// `in_sync`, `drifted`, or `unknown` (the database could not be read: see `reason`).
    #[schema(schema_with = crate::http::openapi::drift_state)]
    pub state: String,
    /// The digest of the live schema in scope (none when `unknown`).
    pub live_fingerprint: Option<String>,
    /// When this observation was made (the database read, or tried).
    pub read_at: String,
    /// When the database was last read successfully.
    pub last_read_at: Option<String>,
    /// Why the database could not be read.
    pub reason: Option<String>,
    /// The typed changes that take the live database to the version.
    #[schema(value_type = Vec<schemareg_engine::diff::Change>)]
    pub changes: Vec<serde_json::Value>,
    /// Those changes as a SQL script (empty when in sync).
    pub sql: String,
}

/// The drift of a service's database in an environment: the last observation of the watch
/// (each environment's policy says how often), or the database read now.
#[utoipa::path(get, path = "/v1/services/{service}/environments/{environment}/drift", tag = "drift",
    operation_id = "getDrift", summary = "Compare the live database with a version", security(("bearer" = [])),
    params(("service" = String, Path, description = "The service's name"),
        ("environment" = String, Path, description = "The environment's name", example = "dev"), DriftParams),
    responses(
        (status = 200, description = "The last observation, or a new one (no changes when in sync)", body = DriftView),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::Conflict, r::Unavailable,
    ))]
pub async fn get_drift(
    State(state): State<AppState>,
    who: Principal,
    Path((service, environment)): Path<(String, String)>,
    Query(params): Query<DriftParams>,
) -> Result<Json<DriftView>, ApiError> {
    who.require_read()?;
    who.require_scope(Some(&service), Some(&environment))?;
    let seen = drift::observation(
        &state,
        (&service, &environment),
        params.version.as_deref(),
        params.refresh,
    )
    .await?;
    Ok(Json(DriftView {
        service,
        environment,
        version: seen.version.number,
        version_digest: seen.version.digest,
        state: seen.record.state.as_str().into(),
        live_fingerprint: seen.record.fingerprint,
        read_at: seen.record.checked_at,
        last_read_at: seen.record.ok_at,
        reason: seen.record.reason,
        changes: seen.changes,
        sql: seen.record.sql.unwrap_or_default(),
    }))
}
