//! The HTTP resources, one file each, and what they share: paging, content negotiation and
//! the scope bodies.

pub mod applies;
pub mod approvals;
pub mod audit;
pub mod bindings;
pub mod drift;
pub mod environments;
pub mod health;
pub mod metrics;
pub mod overview;
pub mod plans;
pub mod policies;
pub mod pushes;
pub mod services;
pub mod versions;
pub mod webhooks;

use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use schemareg_adapters::store::ScopeSpec;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError, Invalid};

pub use crate::http::paging::{Page, next_cursor};

/// Whether the client asked for SQL (`Accept: application/sql`).
pub fn wants_sql(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("application/sql")))
}

/// A SQL text answer.
pub fn sql_response(text: String) -> Response {
    ([(header::CONTENT_TYPE, "application/sql; charset=utf-8")], text).into_response()
}

/// A preset of the scope.
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
#[allow(dead_code)]
pub enum Preset {
    /// Supabase's own schemas (`auth`, `storage`, `realtime`, …).
    Supabase,
    /// The tables of migration tools (`alembic_version`, `flyway_schema_history`, …).
    MigrationTools,
    /// Grants and default privileges left out.
    NoPrivileges,
    /// Owners compared (off unless asked for).
    Owners,
}

/// Which schemas and objects are in scope: patterns and presets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"patterns": ["public", "-public.audit_*"], "presets": ["supabase"]}))]
pub struct ScopeBody {
    /// `SCHEMA` or `SCHEMA.TABLE`, `*` and `?` as wildcards, a leading `-` excludes.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Presets: `supabase` (its schemas left out), `no-privileges` (grants left out), `owners`
    /// (owners compared); `migration-tools` is always on.
    #[serde(default)]
    #[schema(value_type = Vec<Preset>)]
    pub presets: Vec<String>,
}

impl ScopeBody {
    /// Checked: every pattern and preset must be understood.
    pub fn checked(self, field: &str) -> Result<ScopeSpec, ApiError> {
        schemareg_engine::Scope::new(&self.patterns, &self.presets).map_err(|e| {
            ApiError::Unprocessable(
                Invalid::Scope,
                format!("the scope is not valid: {e}"),
                vec![FieldError::new(field, e.to_string())],
            )
        })?;
        Ok(ScopeSpec {
            patterns: self.patterns,
            presets: self.presets,
        })
    }
}

impl From<ScopeSpec> for ScopeBody {
    fn from(s: ScopeSpec) -> Self {
        Self {
            patterns: s.patterns,
            presets: s.presets,
        }
    }
}

/// A name of a service or environment: lowercase letters, digits, `-`, `_` and `.`, starting
/// with a letter or digit, at most 63 characters.
pub fn check_name(field: &str, name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(
            Invalid::Name,
            format!(
                "{} is not a valid {field}: use lowercase letters, digits, '-', '_' and '.', at most 63",
                crate::text::echo(name)
            ),
            vec![FieldError::new(field, "invalid name")],
        ))
    }
}
