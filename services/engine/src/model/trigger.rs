use serde::{Deserialize, Serialize};

/// A trigger on a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub name: String,
    /// The `CREATE TRIGGER` statement, as `pg_get_triggerdef` prints it.
    pub definition: String,
    /// When it fires: `origin` (the default), `always`, `replica`, or `disabled`.
    pub enabled: TriggerEnabled,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `pg_trigger.tgenabled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TriggerEnabled {
    Origin,
    Always,
    Replica,
    Disabled,
}

impl TriggerEnabled {
    pub fn from_catalog(code: &str) -> Option<Self> {
        Some(match code {
            "O" => Self::Origin,
            "A" => Self::Always,
            "R" => Self::Replica,
            "D" => Self::Disabled,
            _ => return None,
        })
    }
}
