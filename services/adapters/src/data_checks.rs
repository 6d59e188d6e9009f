//! Checks on the live rows, run: each step's [`DataCheck`]s counted on the database the plan
//! is for, in a read-only transaction of their own under a lock timeout and a statement
//! timeout, so that a check changes nothing, does not queue behind (and so ahead of) another
//! session's lock longer than the policy allows, and ends in time.
//!
//! What the checks paste into SQL comes from the plan: identifiers quoted by the engine, and
//! expressions and type names as PostgreSQL itself printed them when the version was built in a
//! scratch database and read back (a version's text never reaches here as it was sent).

use std::time::{Duration, Instant};

use schemareg_engine::plan::{DataCheck, Plan};
use serde::{Deserialize, Serialize};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

/// How far checks may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// How long a check waits for a lock on its table.
    pub lock_timeout: Duration,
    /// Each check's statement timeout.
    pub statement_timeout: Duration,
    /// The most rows of a table a check looks at (`None`: all of them). Past it, a count is a
    /// lower bound.
    pub max_rows: Option<u64>,
}

/// The most characters of a server's message a failed check keeps.
const MAX_MESSAGE: usize = 300;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Found {
    /// The rows were counted: `failing` of the `checked` make the step fail; `exact` unless
    /// the table holds more rows than a check may look at (then `failing` is a lower bound).
    Counted { checked: i64, failing: i64, exact: bool },
    /// The check took longer than its statement timeout, or waited longer than its lock
    /// timeout for its table: nothing is known.
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
    let millis = |d: Duration| d.as_millis().max(1);
    let begin = format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}",
        millis(limits.lock_timeout),
        millis(limits.statement_timeout)
    );
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
    if e.code() == Some(&SqlState::QUERY_CANCELED) || e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
        Found::TimedOut
    } else {
        // What the server said, kept short: it is stored with the plan.
        let mut message = crate::pg::error_text(e);
        if let Some((end, _)) = message.char_indices().nth(MAX_MESSAGE) {
            message.truncate(end);
            message.push('…');
        }
        Found::Failed { message }
    }
}
