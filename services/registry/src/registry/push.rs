//! Pushing a version: a snapshot JSON or DDL, scoped, spelled by PostgreSQL, content-addressed.

use schemareg_adapters::store::{NewVersion, Pushed, Service, VersionRef};
use schemareg_engine::ParseError;

use crate::error::{ApiError, FieldError, Invalid};
use crate::state::AppState;

/// How a pushed body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    Json,
    Sql,
}

impl Body {
    fn as_str(self) -> &'static str {
        match self {
            Body::Json => "json",
            Body::Sql => "sql",
        }
    }
}

/// Who and what pushed.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub pushed_by: String,
    pub commit: Option<String>,
    pub pipeline_url: Option<String>,
    pub labels: std::collections::BTreeMap<String, String>,
}

fn parse_error(e: ParseError) -> ApiError {
    match e {
        ParseError::NotJson { .. } => ApiError::BadRequest(format!("the body is {e}")),
        ParseError::Invalid { ref path, ref message } => ApiError::Unprocessable(
            Invalid::Snapshot,
            e.to_string(),
            vec![FieldError::new(path.clone(), message.clone())],
        ),
        other => ApiError::Unprocessable(Invalid::Snapshot, other.to_string(), Vec::new()),
    }
}

/// Pushes `body` as a version of `service`. JSON whose digest is already a version answers at
/// once; anything new is built in a scratch database and read back, so that JSON and DDL of one
/// schema give one digest and PostgreSQL has accepted every expression.
pub async fn push(
    state: &AppState,
    service: &Service,
    kind: Body,
    body: &[u8],
    provenance: Provenance,
) -> Result<Pushed, ApiError> {
    let scope = super::scope_of(service, None)?;
    let snapshot = match kind {
        Body::Json => {
            let parsed = scope.apply(schemareg_engine::from_json(body).map_err(parse_error)?);
            let digest = schemareg_engine::digest(&parsed);
            if let Some(version) = state.store.version(&service.name, &VersionRef::Digest(digest)).await? {
                return Ok(Pushed {
                    version,
                    created: false,
                });
            }
            schemareg_adapters::verify::rebuild(&state.scratch, &scope, &parsed).await?
        }
        Body::Sql => {
            let text = std::str::from_utf8(body).map_err(|e| {
                ApiError::BadRequest(format!("the SQL body is not UTF-8 text (byte {})", e.valid_up_to()))
            })?;
            schemareg_adapters::ingest::ingest(&state.scratch, text, "body")
                .await?
                .snapshot
        }
    };
    // As a plan would write it: printed by PostgreSQL until the printing no longer changes.
    let snapshot = schemareg_adapters::verify::settle(&state.scratch, &scope, scope.apply(snapshot)).await?;
    // Stored as the model orders it (columns in table order, as PostgreSQL has them); the
    // digest is of the canonical form, where such order does not count.
    let stored = serde_json::to_string(&snapshot).map_err(|e| ApiError::Internal(e.to_string()))?;
    let new = NewVersion {
        digest: schemareg_engine::digest(&snapshot),
        snapshot: stored,
        source: kind.as_str().into(),
        pushed_by: provenance.pushed_by,
        commit: provenance.commit,
        pipeline_url: provenance.pipeline_url,
        labels: provenance.labels,
    };
    Ok(state.store.push_version(&service.name, &new).await?)
}
