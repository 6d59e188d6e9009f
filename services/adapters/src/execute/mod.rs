//! Running a plan's steps on a database, grouped in transactions as the script groups them.

use schemareg_engine::plan::{Plan, ScriptOptions, Step, groups, session_settings};
use tokio_postgres::Client;

/// A step that failed, with PostgreSQL's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("step {step} ({description}) failed: {message}")]
pub struct StepFailed {
    pub step: usize,
    pub description: String,
    pub message: String,
}

/// A step that ran, and how long it took.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StepDone {
    pub step: usize,
    pub description: String,
    pub millis: u64,
    /// Whether its transactional group committed (false: it ran, but its group was rolled
    /// back when a later step of the group failed).
    pub committed: bool,
}

/// Runs the plan (or, with `rollback`, its rollback steps, last first). A failing
/// transactional group is rolled back and nothing after it runs.
pub async fn run(client: &Client, plan: &Plan, options: &ScriptOptions, rollback: bool) -> Result<(), StepFailed> {
    run_logged(client, plan, options, rollback, &mut Vec::new()).await
}

/// As [`run`], in a scratch database: the steps that act for another role (its default
/// privileges, an object given to it), which the database's unprivileged owner may not do,
/// run on `admin` (the server's admin, connected to the same database; needed only when the
/// plan has such steps), after what ran before them has committed. They are rendered from
/// the model (names quoted, argument lists read and written again, keywords fixed), one
/// statement a step, and the admin runs each by the extended protocol, which refuses a
/// second statement: a name that escaped its quotes could not chain one.
pub async fn run_in_scratch(
    owner: &Client,
    admin: Option<&Client>,
    plan: &Plan,
    options: &ScriptOptions,
    rollback: bool,
) -> Result<(), StepFailed> {
    run_with(owner, admin, plan, options, rollback, &mut Vec::new()).await
}

/// The steps to run and their SQL: the plan's in order, or (`rollback`) the rollback SQL of
/// those that have one, last first.
fn ordered(plan: &Plan, rollback: bool) -> Vec<(&Step, &str)> {
    if rollback {
        plan.steps
            .iter()
            .rev()
            .filter_map(|s| s.rollback_sql.as_deref().map(|r| (s, r)))
            .collect()
    } else {
        plan.steps.iter().map(|s| (s, s.sql.as_str())).collect()
    }
}

/// A step that failed with PostgreSQL's error.
fn failed(step: &Step, e: tokio_postgres::Error) -> StepFailed {
    StepFailed {
        step: step.id,
        description: step.description.clone(),
        message: crate::pg::error_text(&e),
    }
}

/// Whether the plan (or, with `rollback`, its rollback) can run inside a transaction the
/// caller holds open: every step transactional, none needing a commit after it, none acting
/// for another role.
pub fn fits_one_transaction(plan: &Plan, rollback: bool) -> bool {
    plan.steps
        .iter()
        .all(|s| s.transactional && !s.commit_after && s.acts_for(rollback).is_none())
}

/// Runs the plan's steps (or its rollback's) in the transaction the caller holds open (see
/// [`fits_one_transaction`]), with the plan's session settings: nothing is committed.
///
/// The steps go to the server as one batch (a build of a thousand tables is thousands of
/// steps, each a round trip when sent alone). Should the batch fail, it is rolled back to a
/// savepoint taken before it and the steps are run again one by one, to name the one that
/// fails.
pub async fn run_in_transaction(
    client: &Client,
    plan: &Plan,
    options: &ScriptOptions,
    rollback: bool,
) -> Result<(), StepFailed> {
    let steps = ordered(plan, rollback);
    let Some(&(first, _)) = steps.first() else {
        return Ok(());
    };
    let settings: String = session_settings(plan, options)
        .iter()
        .map(|s| format!("{s};"))
        .collect();
    client.batch_execute(&settings).await.map_err(|e| failed(first, e))?;
    client
        .batch_execute(&format!("SAVEPOINT {STEPS_SAVEPOINT}"))
        .await
        .map_err(|e| failed(first, e))?;
    // Each step on lines of its own: a step's trailing comment cannot swallow the next.
    let batch: String = steps.iter().map(|(_, sql)| format!("{sql}\n;\n")).collect();
    let Err(e) = client.batch_execute(&batch).await else {
        return client
            .batch_execute(&format!("RELEASE SAVEPOINT {STEPS_SAVEPOINT}"))
            .await
            .map_err(|e| failed(first, e));
    };
    let batch_error = crate::pg::error_text(&e);
    client
        .batch_execute(&format!("ROLLBACK TO SAVEPOINT {STEPS_SAVEPOINT}"))
        .await
        .map_err(|_| failed(first, e))?;
    for &(step, sql) in &steps {
        client.batch_execute(sql).await.map_err(|e| failed(step, e))?;
    }
    // The batch failed, the steps one by one did not (a step that only fails beside others):
    // the batch's error, on the first step.
    Err(StepFailed {
        step: first.id,
        description: first.description.clone(),
        message: batch_error,
    })
}

/// The savepoint [`run_in_transaction`] rolls back to when its batch fails.
const STEPS_SAVEPOINT: &str = "schemareg_steps";

/// As [`run`], noting each step that ran in `done`.
pub async fn run_logged(
    client: &Client,
    plan: &Plan,
    options: &ScriptOptions,
    rollback: bool,
    done: &mut Vec<StepDone>,
) -> Result<(), StepFailed> {
    run_with(client, None, plan, options, rollback, done).await
}

async fn run_with(
    client: &Client,
    admin: Option<&Client>,
    plan: &Plan,
    options: &ScriptOptions,
    rollback: bool,
    done: &mut Vec<StepDone>,
) -> Result<(), StepFailed> {
    let steps = ordered(plan, rollback);
    let settings = session_settings(plan, options)
        .iter()
        .map(|s| format!("{s};"))
        .collect::<Vec<_>>()
        .join("\n");
    if let Some((first, _)) = steps.first() {
        client.batch_execute(&settings).await.map_err(|e| failed(first, e))?;
    }
    let only: Vec<&Step> = steps.iter().map(|(s, _)| *s).collect();
    for (transactional, range) in groups(&only) {
        let group = &steps[range];
        if transactional {
            client.batch_execute("BEGIN").await.map_err(|e| failed(group[0].0, e))?;
        }
        let first_of_group = done.len();
        for (step, sql) in group {
            let start = std::time::Instant::now();
            let outcome = match (admin, step.acts_for(rollback)) {
                (Some(admin), Some(_)) => {
                    let reopen = async {
                        if transactional {
                            client.batch_execute("COMMIT").await?;
                        }
                        admin.execute(*sql, &[]).await?;
                        if transactional {
                            client.batch_execute("BEGIN").await?;
                        }
                        Ok::<(), tokio_postgres::Error>(())
                    };
                    reopen.await
                }
                _ => client.batch_execute(sql).await,
            };
            if let Err(e) = outcome {
                if transactional {
                    let _ = client.batch_execute("ROLLBACK").await;
                    done[first_of_group..].iter_mut().for_each(|d| d.committed = false);
                }
                return Err(failed(step, e));
            }
            done.push(StepDone {
                step: step.id,
                description: step.description.clone(),
                millis: start.elapsed().as_millis() as u64,
                committed: true,
            });
        }
        if transactional && let Err(e) = client.batch_execute("COMMIT").await {
            done[first_of_group..].iter_mut().for_each(|d| d.committed = false);
            return Err(failed(group[group.len() - 1].0, e));
        }
    }
    Ok(())
}
