//! The one place where errors become HTTP: RFC 9457 problem documents.

use axum::Json;
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
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PreconditionRequired(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unprocessable(String, Vec<FieldError>),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    fn status(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::PreconditionFailed(_) => (StatusCode::PRECONDITION_FAILED, "precondition-failed"),
            ApiError::PreconditionRequired(_) => (StatusCode::PRECONDITION_REQUIRED, "precondition-required"),
            ApiError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
            ApiError::Unprocessable(..) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid-schema"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    pub fn problem(&self, instance: Option<String>) -> Problem {
        let (status, kind) = self.status();
        Problem {
            kind: format!("https://schemareg.dev/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: self.to_string(),
            instance,
            errors: match self {
                ApiError::Unprocessable(_, errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

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
                ApiError::Unavailable(e.to_string())
            }
        }
    }
}

impl From<ScratchError> for ApiError {
    fn from(e: ScratchError) -> Self {
        ApiError::Unavailable(format!("the scratch server is unavailable: {e}"))
    }
}

impl From<SecretError> for ApiError {
    fn from(e: SecretError) -> Self {
        ApiError::Unavailable(format!("the database URL cannot be read: {e}"))
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Split {
                line, column, error, ..
            } => ApiError::Unprocessable(
                format!("the SQL cannot be split into statements at line {line}, column {column}: {error}"),
                vec![FieldError {
                    line: Some(line),
                    column: Some(column),
                    ..FieldError::new("body", error.to_string())
                }],
            ),
            IngestError::Sql(sql) => ApiError::Unprocessable(
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
            IngestError::Introspect(e) => ApiError::Unavailable(format!("the scratch database cannot be read: {e}")),
        }
    }
}

impl From<VerifyError> for ApiError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Scratch(e) => e.into(),
            VerifyError::Introspect(e) => ApiError::Unavailable(format!("the scratch database cannot be read: {e}")),
            VerifyError::Rebuild(step) => ApiError::Unprocessable(
                format!("PostgreSQL rejects the snapshot: {}", step.message),
                vec![FieldError::new(step.description.clone(), step.message.clone())],
            ),
            other => ApiError::Unprocessable(other.to_string(), Vec::new()),
        }
    }
}

/// A problem document as a response.
pub fn problem_response(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        Json(problem),
    )
        .into_response()
}

/// Turns the error answers of layers and extractors that are not problem documents (body too
/// large, timeouts, rejected headers) into problem documents, with the request path.
pub async fn problems_everywhere(request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    if is_problem {
        // Name the request path in the problem when the handler did not.
        let mut doc: serde_json::Value = serde_json::from_slice(&text).unwrap_or_default();
        if let Some(obj) = doc.as_object_mut() {
            obj.entry("instance").or_insert_with(|| serde_json::Value::String(path));
        }
        let out = (status, [(header::CONTENT_TYPE, "application/problem+json")], Json(doc));
        return with_headers(out.into_response(), &parts.headers);
    }
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            "the request body is larger than this registry accepts (body_limit)".to_string()
        }
        StatusCode::SERVICE_UNAVAILABLE if text.is_empty() => {
            "the request took longer than this registry allows (request_timeout_secs)".to_string()
        }
        _ => String::from_utf8_lossy(&text).trim().to_string(),
    };
    let kind = status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase()
        .replace(' ', "-");
    let out = problem_response(Problem {
        kind: format!("https://schemareg.dev/problems/{kind}"),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail,
        instance: Some(path),
        errors: Vec::new(),
    });
    with_headers(out, &parts.headers)
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
