use serde::{Deserialize, Serialize};

/// A schema (namespace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// The schema's name.
    pub name: String,
    /// `COMMENT ON SCHEMA`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An installed extension. Its member objects (functions, types, …) are the extension's,
/// not the application's, and are not listed in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// The extension's name, as in `CREATE EXTENSION name`.
    pub name: String,
    /// The schema that holds the extension's objects.
    pub schema: String,
}
