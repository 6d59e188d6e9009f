//! `/v1/services/{service}/versions`: immutable, numbered, content-addressed snapshots.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemareg_adapters::store::Version;
use schemareg_engine::plan::{PlanOptions, ScriptOptions, plan, render_script};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Page, next_cursor, sql_response, wants_sql};
use crate::audit::{self, AuditAction, Event, Origin};
use crate::auth::{Principal, Role};
use crate::error::{ApiError, FieldError, Invalid};
use crate::http::extract::LazyBody;
use crate::http::middleware::idempotency::Idempotency;
use crate::http::problem::responses as r;
use crate::registry::push::{self, Answer, Body, Provenance, push_within};
use crate::registry::versions::{self, Kept};
use crate::registry::{parsed, version_ref};
use crate::state::AppState;

/// A version.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"service": "billing", "number": 3, "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "source": "sql", "pushed_by": "ci-bot", "commit": "4b825dc", "pipeline_url": "https://ci.example.com/runs/42", "labels": {"branch": "main"}, "created_at": "2026-11-25T10:00:00.000Z"}))]
pub struct VersionView {
    pub service: String,
    /// 1, 2, 3… per service.
    pub number: i64,
    /// `sha256:` of the snapshot's canonical form.
    pub digest: String,
    /// How it was pushed: `json` or `sql`.
    pub source: String,
    /// The token subject that pushed it.
    pub pushed_by: String,
    pub commit: Option<String>,
    pub pipeline_url: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub created_at: String,
}

impl From<Version> for VersionView {
    fn from(v: Version) -> Self {
        Self {
            service: v.service,
            number: v.number,
            digest: v.digest,
            source: v.source,
            pushed_by: v.pushed_by,
            commit: v.commit,
            pipeline_url: v.pipeline_url,
            labels: v.labels,
            created_at: v.created_at,
        }
    }
}

/// A page of versions, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"service": "billing", "number": 1, "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "source": "json", "pushed_by": "ci-bot", "commit": null, "pipeline_url": null, "labels": {}, "created_at": "2026-11-25T10:00:00.000Z"}], "next_cursor": null}))]
pub struct VersionList {
    pub items: Vec<VersionView>,
    pub next_cursor: Option<String>,
}

/// Who and what pushed a version.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PushParams {
    /// The commit the snapshot was made from.
    pub commit: Option<String>,
    /// The pipeline run that pushed it.
    pub pipeline_url: Option<String>,
    /// Labels as `key=value` pairs separated by commas: `branch=main,team=payments`.
    pub labels: Option<String>,
}

fn labels(text: Option<&str>) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    for pair in text.unwrap_or("").split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| {
            ApiError::Unprocessable(
                Invalid::Labels,
                format!("label {} is not key=value", crate::text::echo(pair)),
                vec![FieldError::new("labels", "each label is key=value")],
            )
        })?;
        out.insert(k.trim().to_string(), v.trim().to_string());
    }
    Ok(out)
}

fn body_kind(media: &str) -> Result<Body, ApiError> {
    match media {
        "application/json" => Ok(Body::Json),
        "application/sql" => Ok(Body::Sql),
        "" => Err(ApiError::UnsupportedMediaType(
            "say what the body is: Content-Type application/json (a snapshot) or application/sql (DDL)".into(),
        )),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "{} is not accepted: send application/json (a snapshot) or application/sql (DDL)",
            crate::text::echo(other)
        ))),
    }
}

/// Pushes a snapshot (publisher): new content makes the next version (201), content the
/// service already has answers with that version (200).
#[utoipa::path(post, path = "/v1/services/{service}/versions", tag = "versions", operation_id = "pushVersion",
    summary = "Push a snapshot or DDL", security(("bearer" = [])),
    params(("service" = String, Path, description = "The service's name"), PushParams),
    request_body(description = "A snapshot (application/json) or DDL (application/sql), run in a scratch database",
        content(
            (schemareg_engine::Snapshot = "application/json", example = json!({"format": 1, "schemas": [{"name": "public"}]})),
            (String = "application/sql", example = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);"),
        )),
    responses(
        (status = 200, description = "Already there: the existing version", body = VersionView),
        (status = 201, description = "A new version; `Location` names it", body = VersionView),
        (status = 202, description = "Still building after `push_wait_secs` (a schema of a thousand tables): it goes on in the background; `Location` names the push to read its outcome from", body = super::pushes::PushView),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::PayloadTooLarge, r::UnsupportedMediaType, r::Unprocessable, r::Unavailable,
    ))]
pub async fn push_version(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    Path(service): Path<String>,
    Query(params): Query<PushParams>,
    idem: Idempotency,
    body: LazyBody,
) -> Result<Response, ApiError> {
    who.require(Role::Publisher)?;
    who.require_scope(Some(&service), None)?;
    let kind = body_kind(&body.media_type())?;
    idem.pass(&state).await?;
    let body = body.bytes().await?;
    let service = state.store.existing_service(&service).await?;
    let provenance = Provenance {
        pushed_by: who.subject.clone(),
        commit: params.commit,
        pipeline_url: params.pipeline_url,
        labels: labels(params.labels.as_deref())?,
    };
    let audited: push::Audit = {
        let (who, origin, name) = (who.clone(), origin.clone(), service.name.clone());
        Box::new(move |version: &Version| {
            let event = Event::new(AuditAction::VersionPush)
                .on(&name, None)
                .target(version.number)
                .detail(serde_json::json!({"digest": version.digest}));
            vec![audit::by(&who, &origin, event)]
        })
    };
    let pushed = match push_within(&state, &service, kind, body, provenance, audited).await? {
        Answer::Pushed(pushed) => pushed,
        Answer::Building(record) => {
            let location = format!("/v1/pushes/{}", record.id);
            return Ok((
                StatusCode::ACCEPTED,
                [(header::LOCATION, location)],
                Json(super::pushes::PushView::from(record)),
            )
                .into_response());
        }
    };
    let location = format!("/v1/services/{}/versions/{}", service.name, pushed.version.number);
    let status = if pushed.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        [(header::LOCATION, location)],
        Json(VersionView::from(pushed.version)),
    )
        .into_response())
}

/// Lists a service's versions, newest first.
#[utoipa::path(get, path = "/v1/services/{service}/versions", tag = "versions", operation_id = "listVersions",
    summary = "List versions", security(("bearer" = [])),
    params(("service" = String, Path, description = "The service's name"), Page),
    responses(
        (status = 200, description = "A page of versions", body = VersionList),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn list_versions(
    State(state): State<AppState>,
    who: Principal,
    Path(service): Path<String>,
    Query(page): Query<Page>,
) -> Result<Json<VersionList>, ApiError> {
    who.require_read()?;
    who.require_scope(Some(&service), None)?;
    let limit = page.limit()?;
    let before = page.after_number()?;
    state.store.existing_service(&service).await?;
    let items = state.store.versions(&service, before, limit).await?;
    let next = next_cursor(items.last().map(|v| v.number.to_string()), items.len(), limit);
    Ok(Json(VersionList {
        items: items.into_iter().map(VersionView::from).collect(),
        next_cursor: next,
    }))
}

async fn find(state: &AppState, who: &Principal, service: &str, version: &str) -> Result<Arc<Kept>, ApiError> {
    who.require_scope(Some(service), None)?;
    let at = version_ref(version)?;
    versions::find(&state.store, &state.versions, service, &at).await
}

/// The answer to a read of an immutable representation: 304 when the client holds it
/// (`If-None-Match`), else `body` with its strong `ETag`; cacheable for good when the path
/// names the version by number or digest, revalidated each time for `latest`.
fn immutable(headers: &HeaderMap, asked: &str, etag: String, body: impl IntoResponse) -> Response {
    let cache = if asked == "latest" {
        "private, no-cache"
    } else {
        "private, max-age=31536000, immutable"
    };
    let held = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")
        });
    let meta = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, cache.to_string()),
        (header::VARY, "Accept, Authorization".to_string()),
    ];
    if held {
        (StatusCode::NOT_MODIFIED, meta).into_response()
    } else {
        (meta, body).into_response()
    }
}

/// Reads a version by number, `latest`, or digest.
#[utoipa::path(get, path = "/v1/services/{service}/versions/{version}", tag = "versions", operation_id = "getVersion",
    summary = "Read a version", security(("bearer" = [])),
    params(("service" = String, Path, description = "The service's name"),
        ("version" = String, Path, description = "A number, `latest`, or `sha256:<digest>`", example = "latest"),
        ("If-None-Match" = Option<String>, Header, description = "The ETag of the version held: 304 when it is this one")),
    responses(
        (status = 200, description = "The version", body = VersionView,
            headers(("ETag" = String, description = "The version's digest, quoted"))),
        (status = 304, description = "Not modified: the version is the one whose ETag was given"),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn get_version(
    State(state): State<AppState>,
    who: Principal,
    Path((service, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    who.require_read()?;
    let kept = find(&state, &who, &service, &version).await?;
    let etag = format!("\"{}\"", kept.version.digest);
    Ok(immutable(
        &headers,
        &version,
        etag,
        Json(VersionView::from(kept.version.clone())),
    ))
}

/// A version's snapshot JSON, or its DDL with `Accept: application/sql`.
#[utoipa::path(get, path = "/v1/services/{service}/versions/{version}/snapshot", tag = "versions",
    operation_id = "getVersionSnapshot", summary = "Read a version's snapshot or DDL", security(("bearer" = [])),
    params(("service" = String, Path, description = "The service's name"),
        ("version" = String, Path, description = "A number, `latest`, or `sha256:<digest>`", example = "1"),
        ("If-None-Match" = Option<String>, Header, description = "The ETag of the representation held: 304 when it is this one")),
    responses(
        (status = 200, description = "The snapshot (application/json) or the DDL that creates it (application/sql)",
            content(
                (schemareg_engine::Snapshot = "application/json", example = json!({"format": 1, "schemas": [{"name": "public"}]})),
                (String = "application/sql", example = "CREATE TABLE \"public\".\"users\" (\"id\" bigint NOT NULL);"),
            ),
            headers(("ETag" = String, description = "The version's digest, quoted (with `-sql` for the DDL)"))),
        (status = 304, description = "Not modified: the representation is the one whose ETag was given"),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn get_snapshot(
    State(state): State<AppState>,
    who: Principal,
    Path((service, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    who.require_read()?;
    let kept = find(&state, &who, &service, &version).await?;
    let digest = &kept.version.digest;
    if wants_sql(&headers) {
        let etag = format!("\"{digest}-sql\"");
        let snapshot = parsed(&kept)?;
        let ddl = plan(&Default::default(), &snapshot, &PlanOptions::default());
        return Ok(immutable(
            &headers,
            &version,
            etag,
            sql_response(render_script(&ddl, &ScriptOptions::default())),
        ));
    }
    let json = ([(header::CONTENT_TYPE, "application/json")], kept.snapshot.clone());
    Ok(immutable(&headers, &version, format!("\"{digest}\""), json))
}

/// The plan that takes one version to another, as JSON or (`Accept: application/sql`) SQL.
#[utoipa::path(get, path = "/v1/services/{service}/versions/{from}/diff/{to}", tag = "versions",
    operation_id = "diffVersions", summary = "Diff two versions", security(("bearer" = [])),
    params(("service" = String, Path, description = "The service's name"),
        ("from" = String, Path, description = "The version to start from", example = "1"),
        ("to" = String, Path, description = "The version to reach", example = "latest")),
    responses(
        (status = 200, description = "The plan: steps with SQL, rollback, hazards, lock and transaction flag",
            content(
                (schemareg_engine::plan::Plan = "application/json", example = json!({"format": 1, "from_digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "to_digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "steps": []})),
                (String = "application/sql", example = "SET lock_timeout = '10s';"),
            )),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn diff_versions(
    State(state): State<AppState>,
    who: Principal,
    Path((service, from, to)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    who.require_read()?;
    let from = parsed(&*find(&state, &who, &service, &from).await?)?;
    let to = parsed(&*find(&state, &who, &service, &to).await?)?;
    let computed = plan(&from, &to, &PlanOptions::default());
    if wants_sql(&headers) {
        return Ok(sql_response(render_script(&computed, &ScriptOptions::default())));
    }
    Ok(Json(computed).into_response())
}
