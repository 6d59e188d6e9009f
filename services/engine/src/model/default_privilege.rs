use serde::{Deserialize, Serialize};

use super::Privilege;

/// The kind of object default privileges are for, as `ALTER DEFAULT PRIVILEGES … ON <kind>`
/// names it (`FUNCTIONS` covers procedures too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DefaultObjects {
    Tables,
    Sequences,
    Functions,
    Types,
    Schemas,
}

impl DefaultObjects {
    pub const ALL: [DefaultObjects; 5] = [
        DefaultObjects::Tables,
        DefaultObjects::Sequences,
        DefaultObjects::Functions,
        DefaultObjects::Types,
        DefaultObjects::Schemas,
    ];

    /// The keyword (`TABLES`).
    pub fn keyword(self) -> &'static str {
        match self {
            DefaultObjects::Tables => "TABLES",
            DefaultObjects::Sequences => "SEQUENCES",
            DefaultObjects::Functions => "FUNCTIONS",
            DefaultObjects::Types => "TYPES",
            DefaultObjects::Schemas => "SCHEMAS",
        }
    }

    /// The privileges PostgreSQL accepts for this kind of object.
    pub fn privileges(self) -> &'static [Privilege] {
        use Privilege::*;
        match self {
            DefaultObjects::Tables => &[Select, Insert, Update, Delete, Truncate, References, Trigger, Maintain],
            DefaultObjects::Sequences => &[Select, Update, Usage],
            DefaultObjects::Functions => &[Execute],
            DefaultObjects::Types => &[Usage],
            DefaultObjects::Schemas => &[Usage, Create],
        }
    }

    /// What `PUBLIC` gets by default on such objects (`EXECUTE` on functions, `USAGE` on
    /// types): what a global `REVOKE … FROM PUBLIC` can take away.
    pub fn public_defaults(self) -> &'static [Privilege] {
        match self {
            DefaultObjects::Functions => &[Privilege::Execute],
            DefaultObjects::Types => &[Privilege::Usage],
            _ => &[],
        }
    }
}

/// The privileges one role (or `PUBLIC`) gets on objects created later
/// (`ALTER DEFAULT PRIVILEGES [FOR ROLE …] [IN SCHEMA …]`), beyond PostgreSQL's own
/// defaults. The creator's own privileges are not compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DefaultPrivilege {
    /// Whose new objects they are for (`FOR ROLE`); none: the role that applies the plan
    /// (what the statement means without `FOR ROLE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// For objects created in this schema (`IN SCHEMA`); none: in every schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub on: DefaultObjects,
    /// The role, or `PUBLIC`.
    pub grantee: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileges: Vec<Privilege>,
    /// Those of them granted `WITH GRANT OPTION`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grantable: Vec<Privilege>,
    /// PostgreSQL's defaults taken away (`REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC`); only
    /// without a schema.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revoked: Vec<Privilege>,
}

/// What identifies default privileges: whose, where, on what, to whom.
pub type DefaultPrivilegeKey = (Option<String>, Option<String>, DefaultObjects, String);

impl DefaultPrivilege {
    pub fn key(&self) -> DefaultPrivilegeKey {
        (self.role.clone(), self.schema.clone(), self.on, self.grantee.clone())
    }

    /// In words: `default privileges of role app on tables in schema public`.
    pub fn object(&self) -> String {
        let mut s = String::from("default privileges");
        if let Some(r) = &self.role {
            s.push_str(&format!(" of role {r}"));
        }
        s.push_str(&format!(" on {}", self.on.keyword().to_ascii_lowercase()));
        if let Some(x) = &self.schema {
            s.push_str(&format!(" in schema {x}"));
        }
        s
    }

    /// Whether it grants or takes away nothing.
    pub fn is_empty(&self) -> bool {
        self.privileges.is_empty() && self.revoked.is_empty()
    }

    /// Lists sorted and without repeats.
    pub fn order(&mut self) {
        for list in [&mut self.privileges, &mut self.grantable, &mut self.revoked] {
            list.sort();
            list.dedup();
        }
    }

    pub fn is_ordered(&self) -> bool {
        self.privileges.is_sorted() && self.grantable.is_sorted() && self.revoked.is_sorted()
    }
}
