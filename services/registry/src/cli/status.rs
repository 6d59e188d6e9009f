//! `schemareg status SERVICE`: where each environment stands (latest, applied and verified
//! versions, drift and the age of its last check, plans waiting). Exit 0 when every bound
//! environment is in sync with nothing waiting, 1 otherwise.

use std::fmt::Write;

use serde_json::Value;

use crate::client::{ClientError, Registry, RegistryArgs};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The service.
    pub service: String,
    /// Print the registry's answer for the service as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub async fn run(args: StatusArgs) -> Result<i32, ClientError> {
    let registry = Registry::new(&args.registry)?;
    let overview = registry.get("/v1/overview").await?.ok()?;
    let service = overview["services"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["service"] == args.service.as_str())
        .cloned()
        .ok_or_else(|| ClientError::Invalid(format!("the registry has no service {:?} you may read", args.service)))?;
    let places = service["environments"].as_array().cloned().unwrap_or_default();
    let attention = places
        .iter()
        .any(|p| p["drift_state"] == "drifted" || p["pending_plans"].as_array().is_some_and(|v| !v.is_empty()));
    if args.json {
        super::out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&service).unwrap_or_default()
        ))?;
    } else {
        super::out(&table(&service, &places))?;
    }
    Ok(i32::from(attention))
}

fn table(service: &Value, places: &[Value]) -> String {
    let number = |v: &Value| v.as_i64().map_or("-".to_string(), |n| n.to_string());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: latest version {} {}\n",
        service["service"].as_str().unwrap_or(""),
        number(&service["latest_version"]),
        service["latest_digest"].as_str().unwrap_or("")
    );
    let mut rows = vec![[
        "ENVIRONMENT".to_string(),
        "LATEST".into(),
        "APPLIED".into(),
        "VERIFIED".into(),
        "DRIFT".into(),
        "WAITING".into(),
    ]];
    for p in places {
        let drift = if p["bound"] == false {
            "not bound".to_string()
        } else {
            match (p["drift_state"].as_str(), p["drift_checked_at"].as_str()) {
                (Some(s), Some(at)) => format!("{s} ({})", age(at)),
                (Some(s), None) => s.to_string(),
                _ => "never checked".to_string(),
            }
        };
        let waiting: Vec<&str> = p["pending_plans"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        rows.push([
            p["environment"].as_str().unwrap_or("").to_string(),
            number(&service["latest_version"]),
            number(&p["applied_version"]),
            number(&p["verified_version"]),
            drift,
            if waiting.is_empty() {
                "-".to_string()
            } else {
                waiting.join(" ")
            },
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let cells: Vec<String> = r.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// How long ago an RFC 3339 time was, roughly (`3m ago`).
fn age(at: &str) -> String {
    let Some(secs) = crate::registry::watch::age(at).map(|d| d.as_secs()) else {
        return at.to_string();
    };
    let rounded = match secs {
        s if s < 120 => s,
        s if s < 7200 => s / 60 * 60,
        s => s / 3600 * 3600,
    };
    format!(
        "{} ago",
        humantime::format_duration(std::time::Duration::from_secs(rounded))
    )
}
