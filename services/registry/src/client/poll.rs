//! Waiting on a plan: read again (as `Retry-After` suggests) until its state is one wanted,
//! and what a plan's state means for a pipeline's exit code.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{ClientError, Progress, Registry};

/// States a plan leaves only by someone's action or never.
const SETTLED: &[&str] = &[
    "pending_approval",
    "approved",
    "applied",
    "verified",
    "rejected",
    "failed",
    "stale",
    "superseded",
    "cancelled",
];

/// Reads plan `id` until `done` says its state is reached, or a state it can no longer leave
/// for one wanted (`settled`), or `timeout` passes (exit 4).
pub async fn until(
    registry: &Registry,
    id: &str,
    timeout: Duration,
    progress: &mut Progress,
    done: impl Fn(&str) -> bool,
) -> Result<Value, ClientError> {
    let deadline = Instant::now() + timeout;
    let path = format!("/v1/plans/{}", crate::cli::push::segment(id));
    loop {
        let plan = registry.get(&path).await?.ok()?;
        let state = state(&plan);
        progress.state(&format!("plan {id}"), state);
        if done(state) || matches!(state, "rejected" | "failed" | "stale" | "superseded" | "cancelled") {
            progress.done();
            return Ok(plan);
        }
        if Instant::now() >= deadline {
            progress.done();
            return Err(ClientError::TimedOut(format!(
                "plan {id} is still {state} after {}",
                humantime::format_duration(timeout)
            )));
        }
        tokio::time::sleep(Duration::from_secs(1).min(deadline.saturating_duration_since(Instant::now()))).await;
    }
}

/// Whether a state is one a plan rests in until someone acts (or for good).
pub fn settled(state: &str) -> bool {
    SETTLED.contains(&state)
}

pub fn state(plan: &Value) -> &str {
    plan["state"].as_str().unwrap_or("unknown")
}

/// What a plan's state means as an exit code: 0 when nothing more is asked of a person (it is
/// approved, or verified), 1 when it waits (for approval, or still computing) or was applied
/// with the database still differing; an error for the rest.
pub fn exit_code(plan: &Value) -> Result<i32, ClientError> {
    let id = plan["id"].as_str().unwrap_or("?");
    let reason = || {
        plan["error"]
            .as_str()
            .or(plan["verification"].as_str())
            .unwrap_or("no reason given")
            .to_string()
    };
    match state(plan) {
        "approved" | "applying" | "verified" => Ok(0),
        "computing" | "pending_approval" | "applied" => Ok(1),
        "failed" => Err(ClientError::Invalid(format!("plan {id} failed: {}", reason()))),
        "stale" => Err(ClientError::Refused(format!(
            "plan {id} is stale: the database changed since it was computed ({}); make a new plan",
            reason()
        ))),
        other => Err(ClientError::Refused(format!("plan {id} is {other}: {}", reason()))),
    }
}
