//! The registry's errors: what went wrong, named by kind and object, for every layer above the
//! adapters. `http::problem` is the one place they become HTTP answers.

use schemareg_adapters::ingest::IngestError;
use schemareg_adapters::scratch::ScratchError;
use schemareg_adapters::store::StoreError;
use schemareg_adapters::verify::VerifyError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::secrets::SecretError;
use crate::text::echo;

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
    /// A webhook subscription: its URL, events or filters.
    Webhook,
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
            Invalid::Webhook => "invalid-webhook",
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
    /// The registry's own budget of connections to a database server stayed in use for as
    /// long as a request may wait: a 503 with `Retry-After`.
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Internal(String),
    /// The request was answered before (the same `Idempotency-Key` and request): the
    /// idempotency layer gives that answer again in place of this one.
    #[error("answered before under this Idempotency-Key")]
    Replayed,
}

impl ApiError {
    /// A 422 with one field error that says the same.
    pub fn invalid(kind: Invalid, field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::Unprocessable(kind, message.clone(), vec![FieldError::new(field, message)])
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::NotFound(m),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Stale(m) => ApiError::PreconditionFailed(m),
            StoreError::Corrupt { .. } => ApiError::Internal(e.to_string()),
            StoreError::Url(_)
            | StoreError::Unavailable(_)
            | StoreError::Migrate(_)
            | StoreError::InUse(_)
            | StoreError::Newer { .. } => {
                tracing::warn!(error = %e, "the store is unavailable");
                ApiError::Unavailable("the registry's store is unavailable".into())
            }
        }
    }
}

impl From<ScratchError> for ApiError {
    fn from(e: ScratchError) -> Self {
        if let ScratchError::RoleRefused { role, message } = &e {
            return ApiError::invalid(
                Invalid::Snapshot,
                "roles",
                format!("PostgreSQL refuses a role named {}: {message}", echo(role)),
            );
        }
        let busy = matches!(&e, ScratchError::Busy { .. })
            || matches!(&e, ScratchError::Connect(c) if c.failure() == Some(schemareg_adapters::pg::Failure::Busy));
        if busy {
            tracing::warn!(error = %e, "no turn on the scratch server");
            return ApiError::Busy(
                "the scratch server is busy with other pushes and plans (every connection its budget allows is in use): try again shortly".into(),
            );
        }
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
            IngestError::Scratch(ScratchError::RoleRefused { role, message }) => ApiError::invalid(
                Invalid::Sql,
                "body",
                format!("PostgreSQL refuses a role named {}: {message}", echo(&role)),
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
