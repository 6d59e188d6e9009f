//! What the console tests start from: LOG-158 verified in dev and planned for staging.

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::common::*;
use crate::served::call;

/// LOG-158 pushed by `ci`, verified in dev, and planned for staging by `ci`: the plan's id.
pub(crate) async fn log158_waiting_in_staging(
    base: &str,
    ci: &str,
) -> (String, Vec<schemareg_adapters::testing::TestDb>) {
    let as_ci = |method: &str, path: &str, body: Option<serde_json::Value>| {
        crate::served::call_as(ci, base, method, path, body.as_ref())
    };
    let (status, _) = call(
        base,
        "POST",
        "/v1/services",
        Some(&json!({"name": "log158", "scope": {"presets": ["supabase"]}})),
    );
    assert_eq!(status, 201);
    let live = read(&live_before());
    let dbs = vec![loaded(&live).await, loaded(&live).await];
    for (env, db) in ["dev", "staging"].iter().zip(&dbs) {
        let path = format!("/v1/services/log158/environments/{env}");
        let body = json!({"database_url": db.url(), "scope": {"presets": ["supabase"]}});
        assert_eq!(call(base, "PUT", &path, Some(&body)).0, 201);
    }
    let models = read(&fixture("log158_models.sql"));
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
        .args([
            "-H",
            &format!("Authorization: Bearer {ci}"),
            "-H",
            "Content-Type: application/sql",
        ])
        .args(["--data-binary", &models])
        .arg(format!("{base}/v1/services/log158/versions"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "201");
    let (_, dev) = as_ci("POST", "/v1/services/log158/environments/dev/plans", Some(json!({})));
    let dev = dev["id"].as_str().unwrap().to_string();
    wait_for_state(base, &dev, "approved").await;
    as_ci("POST", &format!("/v1/plans/{dev}/apply"), None);
    wait_for_state(base, &dev, "verified").await;
    let (_, staging) = as_ci(
        "POST",
        "/v1/services/log158/environments/staging/plans",
        Some(json!({})),
    );
    let staging = staging["id"].as_str().unwrap().to_string();
    wait_for_state(base, &staging, "pending_approval").await;
    (staging, dbs)
}

/// Reads plan `id` until it is in `state` (a minute at most).
pub(crate) async fn wait_for_state(base: &str, id: &str, state: &str) -> serde_json::Value {
    for _ in 0..600 {
        let (_, plan) = call(base, "GET", &format!("/v1/plans/{id}"), None);
        if plan["state"] == state {
            return plan;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("plan {id} did not become {state}");
}
