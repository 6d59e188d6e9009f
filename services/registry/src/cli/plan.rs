//! `schemareg plan SERVICE ENV`: a plan from the environment's live database to a version,
//! shown as a reviewer reads it (steps with hazards, locks and table sizes), as JSON or as the
//! script. Exit 0 when it is approved (or verified), 1 when it waits for approval.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::client::{ClientError, Progress, Registry, RegistryArgs, duration, exit_code, settled, until};

use super::push::segment;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The steps with their hazards, locks and transactions, for a reviewer.
    Text,
    /// The plan as the registry answers it.
    Json,
    /// The script psql would apply.
    Sql,
    /// Only the plan's id (for the next command of a script).
    Id,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The service.
    pub service: String,
    /// The environment whose live database the plan starts from.
    pub environment: String,
    /// The version to reach: a number, latest or sha256:….
    #[arg(long, default_value = "latest")]
    pub version: String,
    /// Wait until the plan is computed (and verified in a scratch database).
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits.
    #[arg(long, default_value = "10m", value_name = "DURATION")]
    pub timeout: String,
    /// Build indexes on existing tables with CREATE INDEX CONCURRENTLY.
    #[arg(long)]
    pub concurrently: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub async fn run(args: PlanArgs) -> Result<i32, ClientError> {
    let timeout = duration("--timeout", &args.timeout)?;
    let registry = Registry::new(&args.registry)?;
    let path = format!(
        "/v1/services/{}/environments/{}/plans",
        segment(&args.service),
        segment(&args.environment)
    );
    let body = json!({"version": args.version, "concurrently": args.concurrently});
    let mut plan = registry.post_json(&path, &body).await?.ok()?;
    let id = plan["id"].as_str().unwrap_or_default().to_string();
    if args.wait && !settled(crate::client::state(&plan)) {
        plan = until(&registry, &id, timeout, &mut Progress::new(), settled).await?;
    }
    match args.format {
        Format::Json => super::out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&plan).unwrap_or_default()
        ))?,
        Format::Sql => super::out(plan["sql"].as_str().unwrap_or(""))?,
        Format::Text => super::out(&describe(&plan))?,
        Format::Id => super::out(&format!("{id}\n"))?,
    }
    exit_code(&plan)
}

/// A plan as a reviewer reads it.
pub fn describe(plan: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "plan {} for {} in {}: version {} ({})",
        s(&plan["id"]),
        s(&plan["service"]),
        s(&plan["environment"]),
        plan["to_version"],
        s(&plan["to_digest"])
    );
    let _ = writeln!(out, "state: {}", s(&plan["state"]));
    for key in ["verification", "error", "override_reason"] {
        if let Some(text) = plan[key].as_str() {
            let _ = writeln!(out, "{}: {text}", key.replace('_', " "));
        }
    }
    let steps = plan["plan"]["steps"].as_array().cloned().unwrap_or_default();
    if plan["state"] == "computing" {
        let _ = writeln!(
            out,
            "still computing: read it again with --wait, or GET /v1/plans/{}",
            s(&plan["id"])
        );
        return out;
    }
    if steps.is_empty() {
        let _ = writeln!(out, "no steps: the database already is the version");
        return out;
    }
    let hazards: Vec<String> = plan["hazards"].as_array().into_iter().flatten().map(s).collect();
    let _ = writeln!(
        out,
        "{} step{}, hazards: {}",
        steps.len(),
        if steps.len() == 1 { "" } else { "s" },
        if hazards.is_empty() {
            "none".to_string()
        } else {
            hazards.join(", ")
        }
    );
    for step in &steps {
        let mut how = vec![format!("lock {}", s(&step["lock"]).replace('_', " "))];
        if step["transactional"] == false {
            how.push("outside a transaction".into());
        }
        if step["commit_after"] == true {
            how.push("commits after".into());
        }
        let _ = writeln!(
            out,
            "\n{:>3}. {}  [{}]",
            step["id"],
            s(&step["description"]),
            how.join(", ")
        );
        for h in step["hazards"].as_array().into_iter().flatten() {
            let _ = writeln!(out, "     ! {}: {}", s(&h["kind"]), s(&h["message"]));
        }
        for line in s(&step["sql"]).lines() {
            let _ = writeln!(out, "     {line}");
        }
        if let Some(note) = step["rollback_note"].as_str() {
            let _ = writeln!(out, "     rollback: {note}");
        }
    }
    if let Some(approvals) = plan["approvals"].as_array().filter(|a| !a.is_empty()) {
        let _ = writeln!(out, "\napprovals:");
        for a in approvals {
            let _ = writeln!(out, "  {} at {}: {}", s(&a["approver"]), s(&a["at"]), s(&a["comment"]));
        }
    }
    out
}
