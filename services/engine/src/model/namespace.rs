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

/// An object of a kind snapshots do not model (a rule, a statistics object, a range type, a
/// text search configuration, default privileges, …): listed so that plans can say what they
/// do not compare, never leaving it out in silence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Unmodelled {
    /// What it is, in words: `rule`, `statistics object`, `range type`, ….
    pub kind: String,
    /// Its schema, for objects that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub name: String,
}

impl std::fmt::Display for Unmodelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{} {s}.{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}
