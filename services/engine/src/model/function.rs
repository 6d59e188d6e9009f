use serde::{Deserialize, Serialize};

/// A function or procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Function or procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionKind {
    Function,
    Procedure,
    Window,
}
