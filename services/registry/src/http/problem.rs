//! Errors as HTTP answers: RFC 9457 problem documents, the status and problem type of each
//! [`ApiError`], and the error responses the OpenAPI document lists.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};
use crate::text::clip;

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

/// The longest `detail` a problem document carries, in characters.
pub const MAX_DETAIL: usize = 2000;
/// The longest field name or field message, in characters.
const MAX_FIELD: usize = 500;
/// The most field errors one problem lists.
const MAX_ERRORS: usize = 50;

impl ApiError {
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
            ApiError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            // Never reaches a client: the idempotency layer answers with the kept answer.
            ApiError::Replayed => (StatusCode::OK, "replayed"),
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

/// The `Retry-After` of a [`ApiError::Busy`] answer, in seconds.
pub const BUSY_RETRY_AFTER: &str = "5";

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
        if matches!(self, ApiError::Busy(_)) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static(BUSY_RETRY_AFTER));
        }
        response
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

/// The problem type of a status that no [`ApiError`] names (`method-not-allowed`, …).
pub fn slug_of(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase()
        .replace(' ', "-")
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
