//! Environment-wide settings need an unscoped admin (as new environments do); a token scoped
//! to environments reads only those.

use schemareg::auth::Role;
use serde_json::json;

use crate::http::{Api, Backend};

on_both_stores!(a_scoped_admin_cannot_change_an_environments_policy);

async fn a_scoped_admin_cannot_change_an_environments_policy(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let shop_admin = api.scoped(&[Role::Admin], &["shop"], &[]);
    let production_admin = api.scoped(&[Role::Admin], &[], &["production"]);
    let lax = json!({"approvals_required": 0, "approver_roles": ["approver"], "forbidden_hazards": [],
        "admin_approval_hazards": [], "concurrently": false, "lock_timeout": "10s", "statement_timeout": "30min"});
    let before = api.contents().await;
    for token in [&shop_admin, &production_admin] {
        let r = api
            .request(
                axum::http::Method::PUT,
                "/v1/environments/production/policy",
                Some(token),
                &[("content-type", "application/json"), ("if-match", "\"0\"")],
                lax.to_string(),
            )
            .await;
        let p = r.problem(403);
        assert!(p["detail"].as_str().unwrap().contains("not scoped"), "{p}");
    }
    assert_eq!(api.contents().await, before);
    let policy = api.get("/v1/environments/production/policy", &admin).await.json();
    assert_eq!(policy["version"], 0, "the policy is unchanged: {policy}");
    // Each refusal is in the audit log as a denial.
    let audit = api.get("/v1/audit?outcome=denied", &admin).await.json();
    let denied = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == "PUT /v1/environments/production/policy")
        .count();
    assert_eq!(denied, 2, "{audit}");
}

on_both_stores!(a_token_scoped_to_environments_reads_only_those);

async fn a_token_scoped_to_environments_reads_only_those(backend: Backend) {
    let api = Api::new(backend).await;
    let dev = api.scoped(&[Role::Reader], &[], &["dev"]);
    api.get("/v1/environments/production/policy", &dev).await.problem(403);
    let r = api.get("/v1/environments/dev/policy", &dev).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let list = api.get("/v1/environments", &dev).await.json();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dev"]);
    let all = api.get("/v1/environments", &api.admin()).await.json();
    assert_eq!(all["items"].as_array().unwrap().len(), 3);
}
