use serde::{Deserialize, Serialize};

/// A function or procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Function {
    pub schema: String,
    pub name: String,
    /// The identity arguments, as `pg_get_function_identity_arguments` prints them; with the
    /// schema and name they identify the function among its overloads.
    pub arguments: String,
    pub kind: FunctionKind,
    /// The result type, as `pg_get_function_result` prints it (none for procedures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    pub language: String,
    /// The whole `CREATE OR REPLACE FUNCTION` statement, as `pg_get_functiondef` prints it.
    pub definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Function {
    /// The attribute lines of the definition (`RETURNS …`, `LANGUAGE …`, `SECURITY DEFINER`,
    /// `SET …`), as `pg_get_functiondef` prints them: indented, between the first line and the
    /// body.
    fn attributes(&self) -> impl Iterator<Item = &str> {
        self.definition
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with(' '))
            .map(str::trim)
    }

    /// The body when it is SQL-standard (`BEGIN ATOMIC … END` or `RETURN …`): PostgreSQL parses
    /// it when the function is created, so the tables, types and functions it names must exist
    /// (and cannot be dropped while it does). None for a body given as a string.
    pub fn sql_body(&self) -> Option<&str> {
        // An aggregate names its functions and types in its definition, parsed likewise.
        if self.kind == FunctionKind::Aggregate {
            return Some(&self.definition);
        }
        let mut lines = self.definition.lines().skip(1).skip_while(|l| l.starts_with(' '));
        let first = lines.next()?;
        if first.starts_with("AS ") {
            return None;
        }
        let start = self.definition.find(first)?;
        Some(&self.definition[start..])
    }

    /// Whether it runs with its owner's privileges (`SECURITY DEFINER`).
    pub fn security_definer(&self) -> bool {
        self.attributes().any(|a| a.eq_ignore_ascii_case("SECURITY DEFINER"))
    }

    /// Whether it sets its own `search_path` (what a `SECURITY DEFINER` function needs, or a
    /// caller's objects can stand in for the ones it means).
    pub fn pins_search_path(&self) -> bool {
        self.attributes()
            .any(|a| a.to_ascii_lowercase().starts_with("set search_path"))
    }
}

/// The languages PostgreSQL ships as trusted (sandboxed); functions in others can reach the
/// server's files and processes.
pub const TRUSTED_LANGUAGES: [&str; 5] = ["sql", "plpgsql", "plperl", "pltcl", "plv8"];

/// Function, procedure, window function or aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FunctionKind {
    Function,
    Procedure,
    Window,
    /// An aggregate: its definition is the `CREATE AGGREGATE` statement.
    Aggregate,
}
