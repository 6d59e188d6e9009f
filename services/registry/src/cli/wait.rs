//! `schemareg wait SERVICE ENV --for approved|applied|verified`: waits until the newest plan
//! there (or `--plan ID`) gets that far. Exit 0 when it does, 4 when the timeout passes first,
//! 3 when the plan is rejected, stale or cancelled, 1 when it was applied but the database
//! still differs from the version.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::{ClientError, Progress, Registry, RegistryArgs, duration, exit_code, state};

use super::push::segment;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Goal {
    Approved,
    Applied,
    Verified,
}

impl Goal {
    fn reached(self, state: &str) -> bool {
        let past: &[&str] = match self {
            Goal::Approved => &["approved", "applying", "applied", "verified"],
            Goal::Applied => &["applied", "verified"],
            Goal::Verified => &["verified"],
        };
        past.contains(&state)
    }
}

#[derive(Debug, clap::Args)]
pub struct WaitArgs {
    /// The service.
    pub service: String,
    /// The environment.
    pub environment: String,
    /// How far the plan must get.
    #[arg(long = "for", value_enum)]
    pub goal: Goal,
    /// This plan rather than the newest one there.
    #[arg(long)]
    pub plan: Option<String>,
    #[arg(long, default_value = "30m", value_name = "DURATION")]
    pub timeout: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub async fn run(args: WaitArgs) -> Result<i32, ClientError> {
    let timeout = duration("--timeout", &args.timeout)?;
    let registry = Registry::new(&args.registry)?;
    let deadline = Instant::now() + timeout;
    let mut progress = Progress::new();
    let place = format!("{} in {}", args.service, args.environment);
    loop {
        let plan = match &args.plan {
            Some(id) => Some(registry.get(&format!("/v1/plans/{}", segment(id))).await?.ok()?),
            None => newest(&registry, &args.service, &args.environment).await?,
        };
        if let Some(plan) = &plan {
            let id = plan["id"].as_str().unwrap_or("?");
            let now = state(plan);
            progress.state(&format!("{place}: plan {id}"), now);
            if args.goal.reached(now) {
                progress.done();
                super::out(&format!("plan {id}: {now}\n"))?;
                return Ok(0);
            }
            // A newer plan takes a superseded one's place; a given plan superseded is over.
            let over = matches!(now, "rejected" | "failed" | "stale" | "cancelled")
                || (now == "superseded" && args.plan.is_some())
                || (now == "applied" && args.goal == Goal::Verified);
            if over {
                progress.done();
                super::out(&format!("plan {id}: {now}\n"))?;
                return exit_code(plan);
            }
        } else {
            progress.state(&place, "no plan yet");
        }
        if Instant::now() >= deadline {
            progress.done();
            let what = plan.as_ref().map_or("no plan".to_string(), |p| {
                format!("plan {} is {}", p["id"].as_str().unwrap_or("?"), state(p))
            });
            return Err(ClientError::TimedOut(format!(
                "{place}: {what} after {}",
                humantime::format_duration(timeout)
            )));
        }
        tokio::time::sleep(Duration::from_secs(1).min(deadline.saturating_duration_since(Instant::now()))).await;
    }
}

/// The newest plan of a service in an environment, if there is one.
async fn newest(registry: &Registry, service: &str, environment: &str) -> Result<Option<Value>, ClientError> {
    let list = registry
        .get(&format!(
            "/v1/services/{}/plans?environment={}",
            segment(service),
            segment(environment)
        ))
        .await?
        .ok()?;
    Ok(list["items"].as_array().and_then(|items| items.first()).cloned())
}
