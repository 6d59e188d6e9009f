use serde::{Deserialize, Serialize};

/// What an owner owns, as `ALTER <kind> … OWNER TO` names it. Functions, procedures and
/// aggregates are routines; enums and composite types are types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OwnedKind {
    Schema,
    Table,
    View,
    MaterializedView,
    Sequence,
    Routine,
    Type,
    Domain,
}

impl OwnedKind {
    pub const ALL: [OwnedKind; 8] = [
        OwnedKind::Schema,
        OwnedKind::Table,
        OwnedKind::View,
        OwnedKind::MaterializedView,
        OwnedKind::Sequence,
        OwnedKind::Routine,
        OwnedKind::Type,
        OwnedKind::Domain,
    ];

    /// The object type as `ALTER … OWNER TO` names it.
    pub fn keyword(self) -> &'static str {
        match self {
            OwnedKind::Schema => "SCHEMA",
            OwnedKind::Table => "TABLE",
            OwnedKind::View => "VIEW",
            OwnedKind::MaterializedView => "MATERIALIZED VIEW",
            OwnedKind::Sequence => "SEQUENCE",
            OwnedKind::Routine => "ROUTINE",
            OwnedKind::Type => "TYPE",
            OwnedKind::Domain => "DOMAIN",
        }
    }

    /// As the snapshot names it (`materialized_view`).
    pub fn name(self) -> &'static str {
        match self {
            OwnedKind::Schema => "schema",
            OwnedKind::Table => "table",
            OwnedKind::View => "view",
            OwnedKind::MaterializedView => "materialized_view",
            OwnedKind::Sequence => "sequence",
            OwnedKind::Routine => "routine",
            OwnedKind::Type => "type",
            OwnedKind::Domain => "domain",
        }
    }
}

/// An object owned by another role than the one that applies plans (objects that role owns,
/// which it creates, are not listed). Compared only when the scope asks for owners (the
/// `owners` preset). Sequences that belong to a column follow their table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Owner {
    pub kind: OwnedKind,
    /// The object's schema (none for a schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub name: String,
    /// A routine's identity arguments, as `pg_get_function_identity_arguments` prints them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
    /// The owning role.
    pub owner: String,
}

/// What identifies an owned object.
pub type OwnedKey = (OwnedKind, Option<String>, String, Option<String>);

impl Owner {
    pub fn key(&self) -> OwnedKey {
        (
            self.kind,
            self.schema.clone(),
            self.name.clone(),
            self.arguments.clone(),
        )
    }

    /// The object, in words: `table public.t`, `routine public.f(integer)`.
    pub fn object(&self) -> String {
        let q = match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        };
        let kind = self.kind.keyword().to_ascii_lowercase();
        match &self.arguments {
            Some(a) => format!("{kind} {q}({a})"),
            None => format!("{kind} {q}"),
        }
    }
}
