//! `schemareg apply | approve | report PLAN`: acting on a plan. Each prints the plan's state
//! after and exits as `plan` does (0 approved or verified, 1 still waiting or applied with the
//! database differing, 3 refused).

use serde_json::json;

use crate::client::{ClientError, Progress, Registry, RegistryArgs, duration, exit_code, state, until};

use super::push::segment;

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The plan's id (plan_…).
    pub plan: String,
    /// How long to wait for the apply and the check after it.
    #[arg(long, default_value = "30m", value_name = "DURATION")]
    pub timeout: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The plan's id (plan_…).
    pub plan: String,
    /// What the approver checked.
    #[arg(long, default_value = "")]
    pub comment: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Outcome {
    Applied,
    Failed,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The plan's id (plan_…).
    pub plan: String,
    /// What the pipeline's own apply came to.
    #[arg(value_enum)]
    pub outcome: Outcome,
    /// A line for the audit log (the deploy's URL, the error).
    #[arg(long, default_value = "")]
    pub message: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

fn plan_path(id: &str, what: &str) -> String {
    format!("/v1/plans/{}/{what}", segment(id))
}

/// Has the registry apply an approved plan and waits until it is applied and checked.
pub async fn apply(args: ApplyArgs) -> Result<i32, ClientError> {
    let timeout = duration("--timeout", &args.timeout)?;
    let registry = Registry::new(&args.registry)?;
    // A plan with nothing to do is verified when it is computed: there is nothing to apply.
    let current = registry
        .get(&format!("/v1/plans/{}", segment(&args.plan)))
        .await?
        .ok()?;
    if state(&current) == "verified" {
        say(&current)?;
        return Ok(0);
    }
    let mut plan = registry
        .post_json(&plan_path(&args.plan, "apply"), &json!({}))
        .await?
        .ok()?;
    if state(&plan) == "applying" {
        plan = until(&registry, &args.plan, timeout, &mut Progress::new(), |s| {
            s != "applying"
        })
        .await?;
    }
    say(&plan)?;
    exit_code(&plan)
}

pub async fn approve(args: ApproveArgs) -> Result<i32, ClientError> {
    let registry = Registry::new(&args.registry)?;
    let plan = registry
        .post_json(&plan_path(&args.plan, "approvals"), &json!({"comment": args.comment}))
        .await?
        .ok()?;
    say(&plan)?;
    exit_code(&plan)
}

pub async fn report(args: ReportArgs) -> Result<i32, ClientError> {
    let registry = Registry::new(&args.registry)?;
    let outcome = match args.outcome {
        Outcome::Applied => "applied",
        Outcome::Failed => "failed",
    };
    let plan = registry
        .post_json(
            &plan_path(&args.plan, "report"),
            &json!({"outcome": outcome, "message": args.message}),
        )
        .await?
        .ok()?;
    say(&plan)?;
    match args.outcome {
        // A failure reported is recorded: the report did what it was asked.
        Outcome::Failed => Ok(0),
        Outcome::Applied => exit_code(&plan),
    }
}

fn say(plan: &serde_json::Value) -> Result<(), super::OutputError> {
    let id = plan["id"].as_str().unwrap_or("?");
    let state = state(plan);
    let extra = match state {
        "pending_approval" => {
            let n = plan["approvals"].as_array().map_or(0, Vec::len);
            format!(" ({n} approval{} so far)", if n == 1 { "" } else { "s" })
        }
        "applied" => format!(
            ": the database still differs from the version ({})",
            plan["verification"].as_str().unwrap_or("see its drift")
        ),
        _ => String::new(),
    };
    super::out(&format!("plan {id}: {state}{extra}\n"))
}
