//! Checks on the live rows, run: each step's [`DataCheck`]s counted on the database the plan
//! is for, in a read-only transaction of their own under a statement timeout, so that a check
//! changes nothing and waits for no one longer than the policy allows.

use std::time::{Duration, Instant};

use schemareg_engine::plan::{DataCheck, Plan};
use serde::{Deserialize, Serialize};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

/// How far checks may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Each check's statement timeout.
    pub statement_timeout: Duration,
    /// The most rows of a table a check looks at (`None`: all of them). Past it, a count is a
    /// lower bound.
    pub max_rows: Option<u64>,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Found {
    /// The rows were counted: `failing` of the `checked` make the step fail; `exact` unless
    /// the table holds more rows than a check may look at (then `failing` is a lower bound).
    Counted { checked: i64, failing: i64, exact: bool },
    /// The check took longer than its statement timeout: nothing is known.
    TimedOut,
    /// The check could not run (what the server said).
    Failed { message: String },
}

/// A check of a step and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The step it is for (its `id` in the plan).
    pub step: usize,
    /// What it looks for, in words.
    pub check: String,
    #[serde(flatten)]
    pub found: Found,
    pub millis: u64,
}

impl CheckResult {
    /// Whether rows were found that make the step fail.
    pub fn fails(&self) -> bool {
        matches!(self.found, Found::Counted { failing, .. } if failing > 0)
    }
}

/// Runs every check of `plan`'s steps, one after the other, on `client`.
pub async fn check_plan(client: &Client, plan: &Plan, limits: &Limits) -> Vec<CheckResult> {
    let mut results = Vec::new();
    for step in &plan.steps {
        for check in &step.data_checks {
            let started = Instant::now();
            let found = run(client, check, limits).await;
            results.push(CheckResult {
                step: step.id,
                check: check.describe(),
                found,
                millis: started.elapsed().as_millis() as u64,
            });
        }
    }
    results
}

/// Counts one check's rows in a read-only transaction, rolled back whatever happens.
pub async fn run(client: &Client, check: &DataCheck, limits: &Limits) -> Found {
    let Some(statements) = check.statements(limits.max_rows) else {
        return Found::Failed {
            message: "the check's expression cannot be quoted for it".into(),
        };
    };
    let timeout = limits.statement_timeout.as_millis().max(1);
    let begin = format!("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = {timeout}");
    if let Err(e) = client.batch_execute(&begin).await {
        return failed(&e);
    }
    let found = counted(client, &statements, limits.max_rows).await;
    if let Err(e) = client.batch_execute("ROLLBACK").await {
        tracing::warn!(error = %crate::pg::error_text(&e), "a data check's transaction did not end");
    }
    found
}

async fn counted(client: &Client, statements: &[String], max_rows: Option<u64>) -> Found {
    let (last, before) = statements.split_last().expect("a check has a statement");
    for sql in before {
        if let Err(e) = client.batch_execute(sql).await {
            return failed(&e);
        }
    }
    match client.query_one(last.as_str(), &[]).await {
        Ok(row) => {
            let (checked, failing): (i64, i64) = (row.get(0), row.get(1));
            let exact = max_rows.is_none_or(|n| (checked as u64) < n);
            Found::Counted {
                checked,
                failing,
                exact,
            }
        }
        Err(e) => failed(&e),
    }
}

fn failed(e: &tokio_postgres::Error) -> Found {
    if e.code() == Some(&SqlState::QUERY_CANCELED) {
        Found::TimedOut
    } else {
        Found::Failed {
            message: crate::pg::error_text(e),
        }
    }
}
