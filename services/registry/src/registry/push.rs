//! Pushing a version: a snapshot JSON or DDL, scoped, spelled by PostgreSQL, content-addressed.

use schemareg_adapters::store::{NewAuditEntry, NewVersion, PushRecord, Pushed, Service, Version, VersionRef};
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

/// The audit entries a new version is stored with, made from it (a push of a version already
/// there changes nothing: it is a read, not an audited action, and pipelines repeat it on every
/// build).
pub type Audit = Box<dyn FnOnce(&Version) -> Vec<NewAuditEntry> + Send>;

/// Pushes `body` as a version of `service`. JSON whose digest is already a version answers at
/// once; anything new is built in a scratch database and read back, so that JSON and DDL of one
/// schema give one digest and PostgreSQL has accepted every expression.
pub async fn push(
    state: &AppState,
    service: &Service,
    kind: Body,
    body: &[u8],
    provenance: Provenance,
    audit: Audit,
) -> Result<Pushed, ApiError> {
    let scope = super::scope_of(service, None)?;
    let source = (kind == Body::Sql).then(|| source_digest(service, body));
    // As a plan would write it: printed by PostgreSQL until the printing no longer changes.
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
            scope.apply(schemareg_adapters::verify::spell_and_settle(&state.scratch, &scope, &parsed).await?)
        }
        Body::Sql => {
            let text = std::str::from_utf8(body).map_err(|e| {
                ApiError::BadRequest(format!("the SQL body is not UTF-8 text (byte {})", e.valid_up_to()))
            })?;
            // DDL pushed before with the same scope (a pipeline pushes on every build): the
            // version it gave, without running it again.
            if let Some(version) = state
                .store
                .version_from_source(&service.name, source.as_deref().unwrap_or_default())
                .await?
            {
                return Ok(Pushed {
                    version,
                    created: false,
                });
            }
            let ingested = schemareg_adapters::ingest::ingest(&state.scratch, text, "body").await?;
            schemareg_adapters::verify::settle(&state.scratch, &scope, scope.apply(ingested.snapshot)).await?
        }
    };
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
    let pushed = state.store.push_version(&service.name, &new, audit).await?;
    if let Some(source) = &source {
        state
            .store
            .remember_source(&service.name, source, &pushed.version.digest)
            .await?;
    }
    Ok(pushed)
}

/// The digest of DDL and the scope it is read with (what decides the snapshot it gives).
fn source_digest(service: &Service, body: &[u8]) -> String {
    let mut text = serde_json::to_vec(&service.scope).expect("a scope serialises");
    text.push(b'\n');
    text.extend_from_slice(body);
    schemareg_engine::canonical::sha256_digest(&text)
}

/// What a push request answers.
#[derive(Debug)]
pub enum Answer {
    /// Done within `push_wait_secs`.
    Pushed(Pushed),
    /// Going on in the background: its record, to be read at `/v1/pushes/{id}`.
    Building(PushRecord),
}

/// Stops a push when the request waiting for it ends before the push is handed to the
/// background (a request timeout, a client gone): nothing half-done goes on.
struct StopUnlessKept(Option<tokio::task::JoinHandle<Result<Pushed, ApiError>>>);

impl Drop for StopUnlessKept {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// [`push`], answered within `push_wait_secs`: a push that takes longer (a schema of a thousand
/// tables) is recorded in the store, finished in the background under a lease renewed while it
/// runs.
pub async fn push_within(
    state: &AppState,
    service: &Service,
    kind: Body,
    body: axum::body::Bytes,
    provenance: Provenance,
    audit: Audit,
) -> Result<Answer, ApiError> {
    let pushed_by = provenance.pushed_by.clone();
    let task = {
        let (state, service) = (state.clone(), service.clone());
        tokio::spawn(async move { push(&state, &service, kind, &body, provenance, audit).await })
    };
    let mut guard = StopUnlessKept(Some(task));
    let waiting = guard.0.as_mut().expect("just spawned");
    let wait = std::time::Duration::from_secs(state.config.push_wait_secs);
    if let Ok(joined) = tokio::time::timeout(wait, waiting).await {
        guard.0 = None;
        let pushed = joined.map_err(|e| ApiError::Internal(format!("a push stopped: {e}")))??;
        return Ok(Answer::Pushed(pushed));
    }
    let id = format!("push_{}", schemareg_adapters::random_hex(8));
    let record = state
        .store
        .begin_push(&id, &service.name, &pushed_by, state.config.lease_secs.max(1))
        .await?;
    let task = guard.0.take().expect("still running");
    let state = state.clone();
    let instance = format!("/v1/services/{}/versions", service.name);
    state.pushing.add(&id);
    tokio::spawn(async move {
        let secs = state.config.lease_secs.max(1);
        let every = std::time::Duration::from_millis(secs * 1000 / 3).max(std::time::Duration::from_millis(200));
        let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tokio::pin!(task);
        let joined = loop {
            tokio::select! {
                joined = &mut task => break joined,
                _ = renew.tick() => {
                    if let Err(e) = state.store.renew_push(&id, secs).await {
                        tracing::warn!(push = %id, error = %e, "cannot renew a push's lease");
                    }
                }
            }
        };
        let outcome = match joined {
            Ok(Ok(pushed)) => Ok((pushed.version.number, pushed.created)),
            Ok(Err(e)) => Err(e.problem(Some(instance.clone()))),
            Err(e) => Err(ApiError::Internal(format!("a push stopped: {e}")).problem(Some(instance.clone()))),
        };
        let outcome = outcome.map_err(|p| serde_json::to_string(&p).expect("a problem serialises"));
        if let Err(e) = state.store.finish_push(&id, outcome).await {
            tracing::warn!(push = %id, error = %e, "cannot record a push's outcome");
        }
        state.pushing.remove(&id);
    });
    Ok(Answer::Building(record))
}

/// Marks the pushes this registry has not finished as failed when it stops, so that a client
/// waiting on one learns at once that it must push again (instead of after the lease).
pub async fn give_up_all(state: &AppState) {
    for id in state.pushing.ids() {
        let problem =
            ApiError::Unavailable("the registry building this push stopped before it was done: push again".into())
                .problem(Some(format!("/v1/pushes/{id}")));
        let problem = serde_json::to_string(&problem).expect("a problem serialises");
        if let Err(e) = state.store.finish_push(&id, Err(problem)).await {
            tracing::warn!(push = %id, error = %e, "cannot record that a push was given up");
        }
    }
}
