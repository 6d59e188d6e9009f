use serde::{Deserialize, Serialize};

/// What a grant is on, as `GRANT … ON <kind>` names it. Views, materialized views and foreign
/// tables are tables there; domains are types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    Schema,
    Table,
    Column,
    Sequence,
    Function,
    Procedure,
    Type,
}

impl GrantKind {
    /// The object type as `GRANT … ON` names it (a column's privileges are on its `TABLE`).
    pub fn keyword(self) -> &'static str {
        match self {
            GrantKind::Schema => "SCHEMA",
            GrantKind::Table | GrantKind::Column => "TABLE",
            GrantKind::Sequence => "SEQUENCE",
            GrantKind::Function => "FUNCTION",
            GrantKind::Procedure => "PROCEDURE",
            GrantKind::Type => "TYPE",
        }
    }
}

/// A privilege, as PostgreSQL's keyword for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
    References,
    Trigger,
    Maintain,
    Usage,
    Create,
    Execute,
}

impl Privilege {
    pub const ALL: [Privilege; 11] = [
        Privilege::Select,
        Privilege::Insert,
        Privilege::Update,
        Privilege::Delete,
        Privilege::Truncate,
        Privilege::References,
        Privilege::Trigger,
        Privilege::Maintain,
        Privilege::Usage,
        Privilege::Create,
        Privilege::Execute,
    ];

    /// The keyword (`SELECT`).
    pub fn keyword(self) -> &'static str {
        match self {
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
            Privilege::Truncate => "TRUNCATE",
            Privilege::References => "REFERENCES",
            Privilege::Trigger => "TRIGGER",
            Privilege::Maintain => "MAINTAIN",
            Privilege::Usage => "USAGE",
            Privilege::Create => "CREATE",
            Privilege::Execute => "EXECUTE",
        }
    }

    /// From PostgreSQL's keyword (as `aclexplode` gives it).
    pub fn from_keyword(k: &str) -> Option<Privilege> {
        Privilege::ALL.into_iter().find(|p| p.keyword() == k)
    }
}

/// What one role (or `PUBLIC`) may do with one object beyond what PostgreSQL grants by
/// default. The owner's own privileges are defaults, and so are PUBLIC's `EXECUTE` on
/// functions and procedures and `USAGE` on types: they are never listed as granted, and a
/// revoked default is listed under `revoked`. Who granted a privilege is not compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub kind: GrantKind,
    /// The object's schema (none for a schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The object's name (for a column: its table's).
    pub name: String,
    /// A function's or procedure's identity arguments, as `pg_get_function_identity_arguments`
    /// prints them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
    /// The column, for a column's privileges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The role, or `PUBLIC`.
    pub grantee: String,
    /// The privileges granted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileges: Vec<Privilege>,
    /// Those of them granted `WITH GRANT OPTION`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grantable: Vec<Privilege>,
    /// Default privileges taken away (`REVOKE EXECUTE ON FUNCTION … FROM PUBLIC`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revoked: Vec<Privilege>,
}

/// The object a grant is on and its grantee: what identifies a grant.
pub type GrantKey = (
    GrantKind,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
);

impl Grant {
    pub fn key(&self) -> GrantKey {
        (
            self.kind,
            self.schema.clone(),
            self.name.clone(),
            self.arguments.clone(),
            self.column.clone(),
            self.grantee.clone(),
        )
    }

    /// The object, in words: `table public.users`, `column public.users.email`,
    /// `function public.f(integer)`.
    pub fn object(&self) -> String {
        let q = match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        };
        match (self.kind, &self.arguments, &self.column) {
            (GrantKind::Column, _, Some(c)) => format!("column {q}.{c}"),
            (GrantKind::Function, Some(a), _) => format!("function {q}({a})"),
            (GrantKind::Procedure, Some(a), _) => format!("procedure {q}({a})"),
            (kind, _, _) => format!("{} {q}", kind.keyword().to_ascii_lowercase()),
        }
    }

    /// Whether it grants or takes away nothing.
    pub fn is_empty(&self) -> bool {
        self.privileges.is_empty() && self.revoked.is_empty()
    }
}
