//! Checks on the live rows: for a step that existing rows can make fail, the rows to count
//! before it runs (a NULL where a column becomes NOT NULL, a duplicate key, a row that breaks a
//! new check, an orphan of a new foreign key, a value the new type refuses). A check is data on
//! the step; its SQL is rendered here, to run read-only on the database the plan is for.
//!
//! Every query answers one row of two `bigint`s: how many rows were looked at (`checked`) and
//! how many of them make the step fail (`failing`). Given `max_rows`, a query looks at no more
//! than that many rows of the table: its count is then a lower bound when the table holds more.

use serde::{Deserialize, Serialize};

use crate::model::QualifiedName;
use crate::render::ident::{ident, qn};

/// What to count before a step runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataCheck {
    /// Rows of any kind: a new `NOT NULL` column without a default needs an empty table.
    Rows { table: QualifiedName },
    /// Rows where `column` is NULL (`SET NOT NULL`, a NOT NULL check validated).
    Nulls { table: QualifiedName, column: String },
    /// Rows whose key (SQL expressions over the row) another row has too: a new primary key,
    /// unique constraint or unique index. Rows where a part of the key is NULL count as failing
    /// for a primary key (`nulls_fail`), and as equal keys when NULLs are not distinct.
    Duplicates {
        table: QualifiedName,
        keys: Vec<String>,
        /// Of a partial unique index: only the rows it covers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        predicate: Option<String>,
        #[serde(default, skip_serializing_if = "crate::model::is_false")]
        nulls_fail: bool,
        #[serde(default, skip_serializing_if = "crate::model::is_false")]
        nulls_not_distinct: bool,
    },
    /// Rows for which a new check's expression is false.
    Violations { table: QualifiedName, expression: String },
    /// Rows whose `columns`, all set, match no row of `references(referenced_columns)`.
    Orphans {
        table: QualifiedName,
        columns: Vec<String>,
        references: QualifiedName,
        referenced_columns: Vec<String>,
    },
    /// Rows where `column`'s value does not become the new type: the step's own `USING`
    /// expression is evaluated row by row and stored in a variable of the new type (as the
    /// column would store it), each row in a subtransaction of its own.
    Casts {
        table: QualifiedName,
        column: String,
        to_type: String,
        /// The expression the step converts with (`"status"::text::public.document_status`).
        using: String,
    },
}

/// The settings a cast check leaves its counts in, for the statement that reads them.
const CHECKED: &str = "schemareg.check_checked";
const FAILING: &str = "schemareg.check_failing";
/// The dollar quote around a cast check's block.
const BLOCK_QUOTE: &str = "$schemareg_check$";

impl DataCheck {
    /// The table whose rows it counts.
    pub fn table(&self) -> &QualifiedName {
        match self {
            DataCheck::Rows { table }
            | DataCheck::Nulls { table, .. }
            | DataCheck::Duplicates { table, .. }
            | DataCheck::Violations { table, .. }
            | DataCheck::Orphans { table, .. }
            | DataCheck::Casts { table, .. } => table,
        }
    }

    /// What it looks for, in words: `NULLs in public.users.email`.
    pub fn describe(&self) -> String {
        match self {
            DataCheck::Rows { table } => format!("rows in {table}"),
            DataCheck::Nulls { table, column } => format!("NULLs in {table}.{column}"),
            DataCheck::Duplicates { table, keys, .. } => format!("duplicates of ({}) in {table}", keys.join(", ")),
            DataCheck::Violations { table, expression } => format!("rows of {table} failing {expression}"),
            DataCheck::Orphans {
                table,
                columns,
                references,
                ..
            } => format!(
                "rows of {table} whose ({}) match no row of {references}",
                columns.join(", ")
            ),
            DataCheck::Casts {
                table, column, to_type, ..
            } => format!("values of {table}.{column} that do not become {to_type}"),
        }
    }

    /// The statements that count, the last of which answers `(checked, failing)`; `None` when
    /// the check cannot be written safely (an expression that holds the block's quote).
    pub fn statements(&self, max_rows: Option<u64>) -> Option<Vec<String>> {
        let t = qn(self.table());
        let limit = max_rows.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
        // The rows looked at: the whole table, or its first `max_rows`.
        let rows = format!("(SELECT * FROM {t}{limit}) AS s");
        let one = |sql: String| Some(vec![sql]);
        match self {
            DataCheck::Rows { .. } => one(format!("SELECT count(*)::bigint, count(*)::bigint FROM {rows}")),
            DataCheck::Nulls { column, .. } => one(format!(
                "SELECT count(*)::bigint, count(*) FILTER (WHERE s.{} IS NULL)::bigint FROM {rows}",
                ident(column)
            )),
            DataCheck::Duplicates {
                keys,
                predicate,
                nulls_fail,
                nulls_not_distinct,
                ..
            } => {
                let keys: Vec<String> = keys.iter().map(|k| format!("({k})")).collect();
                let any_null = keys
                    .iter()
                    .map(|k| format!("{k} IS NULL"))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                let covered = predicate.as_ref().map(|p| format!(" WHERE ({p})")).unwrap_or_default();
                // Rows with a NULL in the key: failing for a primary key, grouped as equals
                // when NULLs are not distinct, else never in conflict.
                let grouped_rows = if *nulls_fail || !*nulls_not_distinct {
                    format!(" WHERE NOT ({any_null})")
                } else {
                    String::new()
                };
                let null_rows = if *nulls_fail {
                    format!(" + (SELECT count(*) FROM s WHERE {any_null})")
                } else {
                    String::new()
                };
                one(format!(
                    "WITH s AS MATERIALIZED (SELECT * FROM {t}{covered}{limit}) \
                     SELECT (SELECT count(*) FROM s)::bigint, \
                     ((SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM s{grouped_rows} GROUP BY {} \
                     HAVING count(*) > 1) AS d){null_rows})::bigint",
                    keys.join(", ")
                ))
            }
            DataCheck::Violations { expression, .. } => one(format!(
                "SELECT count(*)::bigint, count(*) FILTER (WHERE ({expression}) IS FALSE)::bigint FROM {rows}"
            )),
            DataCheck::Orphans {
                columns,
                references,
                referenced_columns,
                ..
            } => {
                let all_set = columns
                    .iter()
                    .map(|c| format!("s.{} IS NOT NULL", ident(c)))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let matches = columns
                    .iter()
                    .zip(referenced_columns)
                    .map(|(c, r)| format!("p.{} = s.{}", ident(r), ident(c)))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                one(format!(
                    "SELECT count(*)::bigint, count(*) FILTER (WHERE {all_set} AND NOT EXISTS \
                     (SELECT 1 FROM {} AS p WHERE {matches}))::bigint FROM {rows}",
                    qn(references)
                ))
            }
            DataCheck::Casts { using, to_type, .. } => {
                if using.contains(BLOCK_QUOTE) || to_type.contains(BLOCK_QUOTE) {
                    return None;
                }
                // Each row's value converted on its own, by its row's address (its partition's
                // and its place there): a value that
                // fails rolls back its subtransaction alone. The counts are left in settings
                // local to the transaction (a read-only one may set them).
                let block = format!(
                    "DO {BLOCK_QUOTE} DECLARE r record; v {to_type}; checked bigint := 0; failing bigint := 0; BEGIN \
                     FOR r IN SELECT tableoid AS part, ctid AS id FROM {t}{limit} LOOP checked := checked + 1; \
                     BEGIN SELECT ({using}) INTO v FROM {t} WHERE tableoid = r.part AND ctid = r.id; \
                     EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN failing := failing + 1; END; \
                     END LOOP; \
                     PERFORM set_config('{CHECKED}', checked::text, true), set_config('{FAILING}', failing::text, true); \
                     END {BLOCK_QUOTE}"
                );
                Some(vec![
                    block,
                    format!("SELECT current_setting('{CHECKED}')::bigint, current_setting('{FAILING}')::bigint"),
                ])
            }
        }
    }
}
