//! The one place where errors become HTTP: RFC 9457 problem documents.

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use schemareg_adapters::ingest::IngestError;
use schemareg_adapters::scratch::ScratchError;
use schemareg_adapters::store::StoreError;
use schemareg_adapters::verify::VerifyError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::secrets::SecretError;

/// A problem document (RFC 9457), served as `application/problem+json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"type": "https://schemareg.dev/problems/not-found", "title": "Not Found", "status": 404, "detail": "service \"billing\" does not exist", "instance": "/v1/services/billing"}))]
pub struct Problem {
    /// A URI that names the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong here, for a person.
    pub detail: String,
    /// The request path the problem is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Errors of individual fields, where there are some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One field's error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Where the field is: a JSON path such as `tables[0].columns[1].type`, a query
    /// parameter, or `body` for a SQL body.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
    /// The line in the body, for SQL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The column in the body, for SQL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

/// What made a well-formed request invalid (the problem type of its 422).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// A JSON body whose fields do not have the types or values the operation takes.
    Body,
    /// A service or environment name.
    Name,
    /// A scope's patterns or presets.
    Scope,
    /// A snapshot document.
    Snapshot,
    /// SQL that cannot be split into statements or that PostgreSQL rejects.
    Sql,
    /// An environment's policy.
    Policy,
    /// A database URL or a reference to one.
    DatabaseReference,
    /// An `Idempotency-Key` that is malformed.
    IdempotencyKey,
    /// An `Idempotency-Key` used before for another request.
    IdempotencyKeyReused,
    /// A pipeline's report of an apply.
    Report,
    /// Labels of a pushed version.
    Labels,
    /// An override of the promotion gate.
    Override,
}

impl Invalid {
    /// The last part of its problem type URI.
    pub fn slug(self) -> &'static str {
        match self {
            Invalid::Body => "invalid-body",
            Invalid::Name => "invalid-name",
            Invalid::Scope => "invalid-scope",
            Invalid::Snapshot => "invalid-snapshot",
            Invalid::Sql => "invalid-sql",
            Invalid::Policy => "invalid-policy",
            Invalid::DatabaseReference => "invalid-database-reference",
            Invalid::IdempotencyKey => "invalid-idempotency-key",
            Invalid::IdempotencyKeyReused => "idempotency-key-reused",
            Invalid::Report => "invalid-report",
            Invalid::Labels => "invalid-labels",
            Invalid::Override => "invalid-override",
        }
    }
}

/// An error of the service, mapped to HTTP in [`ApiError::status`].
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A binding that cannot be used as configured (a reference the registry may not or cannot
    /// read, a URL it cannot decrypt): the admin must bind it again.
    #[error("{0}")]
    UnusableBinding(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PreconditionRequired(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is larger than this registry accepts (body_limit)")]
    PayloadTooLarge,
    #[error("{1}")]
    Unprocessable(Invalid, String, Vec<FieldError>),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

/// The longest `detail` a problem document carries, in characters.
pub const MAX_DETAIL: usize = 2000;
/// The longest field name or field message, in characters.
const MAX_FIELD: usize = 500;
/// The most field errors one problem lists.
const MAX_ERRORS: usize = 50;

/// At most `max` characters of `text`, with `…` where it was cut.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

/// A value from the request as a message may quote it: debug-quoted, at most 64 characters.
pub fn echo(text: &str) -> String {
    format!("{:?}", clip(text, 64))
}

impl ApiError {
    /// A 422 with one field error that says the same.
    pub fn invalid(kind: Invalid, field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::Unprocessable(kind, message.clone(), vec![FieldError::new(field, message)])
    }

    fn status(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::UnusableBinding(_) => (StatusCode::CONFLICT, "unusable-binding"),
            ApiError::PreconditionFailed(_) => (StatusCode::PRECONDITION_FAILED, "precondition-failed"),
            ApiError::PreconditionRequired(_) => (StatusCode::PRECONDITION_REQUIRED, "precondition-required"),
            ApiError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large"),
            ApiError::Unprocessable(kind, ..) => (StatusCode::UNPROCESSABLE_ENTITY, kind.slug()),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    pub fn problem(&self, instance: Option<String>) -> Problem {
        let (status, kind) = self.status();
        let errors = match self {
            ApiError::Unprocessable(_, _, errors) => errors
                .iter()
                .take(MAX_ERRORS)
                .map(|e| FieldError {
                    field: clip(&e.field, MAX_FIELD),
                    message: clip(&e.message, MAX_FIELD),
                    ..e.clone()
                })
                .collect(),
            _ => Vec::new(),
        };
        Problem::new(status, kind, &self.to_string(), instance, errors)
    }
}

impl Problem {
    /// A problem of a status and type slug; the detail is cut to [`MAX_DETAIL`] characters, so
    /// that no echoed input makes a document too large to send.
    pub fn new(
        status: StatusCode,
        kind: &str,
        detail: &str,
        instance: Option<String>,
        errors: Vec<FieldError>,
    ) -> Self {
        Problem {
            kind: format!("{PROBLEM_BASE}{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: clip(detail, MAX_DETAIL),
            instance: instance.map(|i| clip(&i, MAX_DETAIL)),
            errors,
        }
    }
}

/// The start of every problem type URI.
pub const PROBLEM_BASE: &str = "https://schemareg.dev/problems/";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(message) = &self {
            tracing::error!(%message, "internal error");
        }
        let mut response = problem_response(self.problem(None));
        if matches!(self, ApiError::Unauthorized(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::NotFound(m),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Stale(m) => ApiError::PreconditionFailed(m),
            StoreError::Corrupt { .. } => ApiError::Internal(e.to_string()),
            StoreError::Url(_) | StoreError::Unavailable(_) | StoreError::Migrate(_) => {
                tracing::warn!(error = %e, "the store is unavailable");
                ApiError::Unavailable("the registry's store is unavailable".into())
            }
        }
    }
}

impl From<ScratchError> for ApiError {
    fn from(e: ScratchError) -> Self {
        // Which server and what it said goes to the log; the client learns what it can act on.
        tracing::warn!(error = %e, "the scratch server is unavailable");
        ApiError::Unavailable("the scratch server is unavailable: try again later".into())
    }
}

impl From<SecretError> for ApiError {
    fn from(e: SecretError) -> Self {
        ApiError::UnusableBinding(e.to_string())
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Split {
                line, column, error, ..
            } => ApiError::Unprocessable(
                Invalid::Sql,
                format!("the SQL cannot be split into statements at line {line}, column {column}: {error}"),
                vec![FieldError {
                    line: Some(line),
                    column: Some(column),
                    ..FieldError::new("body", error.to_string())
                }],
            ),
            IngestError::Sql(sql) => ApiError::Unprocessable(
                Invalid::Sql,
                format!(
                    "PostgreSQL rejects the SQL at line {}, column {}: {}",
                    sql.line, sql.column, sql.message
                ),
                vec![FieldError {
                    line: Some(sql.line),
                    column: Some(sql.column),
                    ..FieldError::new("body", sql.to_string())
                }],
            ),
            IngestError::Scratch(e) => e.into(),
            IngestError::Introspect(e) => {
                tracing::warn!(error = %e, "a scratch database cannot be read");
                ApiError::Unavailable("the scratch server is unavailable: try again later".into())
            }
        }
    }
}

impl From<VerifyError> for ApiError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Scratch(e) => e.into(),
            VerifyError::Introspect(e) => {
                tracing::warn!(error = %e, "a scratch database cannot be read");
                ApiError::Unavailable("the scratch server is unavailable: try again later".into())
            }
            VerifyError::Rebuild(step) => ApiError::Unprocessable(
                Invalid::Snapshot,
                format!("PostgreSQL rejects the snapshot: {}", step.message),
                vec![FieldError::new(step.description.clone(), step.message.clone())],
            ),
            other => ApiError::Unprocessable(Invalid::Snapshot, other.to_string(), Vec::new()),
        }
    }
}

/// A problem document as a response. The problem also rides in the response's extensions, so
/// that [`problems_everywhere`] can complete it without reading the body again.
pub fn problem_response(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem).expect("a problem serialises");
    let mut response = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response();
    response.extensions_mut().insert(problem);
    response
}

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The largest error body of a layer or extractor read to turn it into a problem's detail.
const MAX_ERROR_BODY: usize = 16 * 1024;

/// Turns the error answers of layers and extractors that are not problem documents (body too
/// large, timeouts, rejected paths or queries) into problem documents, and names the request
/// path in every problem.
pub async fn problems_everywhere(request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    if let Some(mut problem) = response.extensions_mut().remove::<Problem>() {
        if problem.instance.is_some() {
            return response;
        }
        problem.instance = Some(clip(&path, MAX_DETAIL));
        let (parts, _) = response.into_parts();
        return with_headers(problem_response(problem), &parts.headers);
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_ERROR_BODY).await.unwrap_or_default();
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            "the request body is larger than this registry accepts (body_limit)".to_string()
        }
        StatusCode::SERVICE_UNAVAILABLE if text.is_empty() => {
            "the request took longer than this registry allows (request_timeout_secs)".to_string()
        }
        StatusCode::METHOD_NOT_ALLOWED if text.is_empty() => {
            "this resource does not answer to that method (see the Allow header)".to_string()
        }
        _ if text.is_empty() => status.canonical_reason().unwrap_or("error").to_string(),
        _ => String::from_utf8_lossy(&text).trim().to_string(),
    };
    let out = problem_response(Problem::new(status, &slug_of(status), &detail, Some(path), Vec::new()));
    with_headers(out, &parts.headers)
}

/// The problem type of a status that no [`ApiError`] names (`method-not-allowed`, …).
pub fn slug_of(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase()
        .replace(' ', "-")
}

/// The response with the original answer's headers (request id, `WWW-Authenticate`, …), but
/// its own content type and length.
fn with_headers(mut out: Response, original: &axum::http::HeaderMap) -> Response {
    for (name, value) in original {
        if !out.headers().contains_key(name) && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name, value.clone());
        }
    }
    out
}

/// The error answers of the OpenAPI document, one per class, so that every operation lists the
/// classes it can answer with (`responses((status = 200, …), Unauthorized, NotFound, …)`).
pub mod responses {
    use utoipa::IntoResponses;

    use super::Problem;

    /// Malformed request: JSON that does not parse, a bad parameter or cursor.
    #[derive(IntoResponses)]
    #[response(status = 400, content_type = "application/problem+json")]
    pub struct BadRequest(pub Problem);

    /// No valid bearer token.
    #[derive(IntoResponses)]
    #[response(status = 401, content_type = "application/problem+json")]
    pub struct Unauthorized(pub Problem);

    /// The token lacks the role this needs.
    #[derive(IntoResponses)]
    #[response(status = 403, content_type = "application/problem+json")]
    pub struct Forbidden(pub Problem);

    /// What the path names does not exist.
    #[derive(IntoResponses)]
    #[response(status = 404, content_type = "application/problem+json")]
    pub struct NotFound(pub Problem);

    /// It conflicts with what exists, or with the resource's state.
    #[derive(IntoResponses)]
    #[response(status = 409, content_type = "application/problem+json")]
    pub struct Conflict(pub Problem);

    /// `If-Match` names a version that is no longer the current one.
    #[derive(IntoResponses)]
    #[response(status = 412, content_type = "application/problem+json")]
    pub struct PreconditionFailed(pub Problem);

    /// The write needs `If-Match` with the ETag that was read.
    #[derive(IntoResponses)]
    #[response(status = 428, content_type = "application/problem+json")]
    pub struct PreconditionRequired(pub Problem);

    /// The body is larger than the registry accepts.
    #[derive(IntoResponses)]
    #[response(status = 413, content_type = "application/problem+json")]
    pub struct PayloadTooLarge(pub Problem);

    /// The body's media type is not one this operation accepts.
    #[derive(IntoResponses)]
    #[response(status = 415, content_type = "application/problem+json")]
    pub struct UnsupportedMediaType(pub Problem);

    /// Well-formed but invalid: a name, scope, snapshot, or SQL PostgreSQL rejects (with line
    /// and column).
    #[derive(IntoResponses)]
    #[response(status = 422, content_type = "application/problem+json")]
    pub struct Unprocessable(pub Problem);

    /// A dependency does not answer: the store, the scratch server or a target database.
    #[derive(IntoResponses)]
    #[response(status = 503, content_type = "application/problem+json")]
    pub struct Unavailable(pub Problem);
}
