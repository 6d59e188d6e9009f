//! Promotion over HTTP, on both stores: the gate (a version goes to an environment only once
//! verified in the one before, or with an admin's written reason), the plan life cycle, and
//! each approval rule of the environments' policies.

use crate::http::{Api, Backend};
use axum::http::StatusCode;
use schemareg::auth::Role;
use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

on_both_stores!(gate_life_cycle_and_approvals);

/// Creates a plan and waits until it is computed.
async fn plan(api: &Api, env: &str, token: &str, body: Value) -> Value {
    let created = api
        .post_json(&format!("/v1/services/billing/environments/{env}/plans"), token, body)
        .await;
    assert!(matches!(created.status.as_u16(), 201 | 202), "{}", created.text);
    let location = created.headers["location"].to_str().unwrap().to_string();
    loop {
        let p = api.get(&location, &api.admin()).await.json();
        if p["state"] != "computing" {
            return p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn act(api: &Api, id: &str, what: &str, token: &str) -> crate::http::Resp {
    api.post_json(
        &format!("/v1/plans/{id}/{what}"),
        token,
        json!({"comment": "looked at it"}),
    )
    .await
}

async fn gate_life_cycle_and_approvals(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let deployer = api.token_for("dana", &[Role::Deployer]);
    let publisher = api.token_for("paul", &[Role::Publisher, Role::Approver]);
    let alice = api.token_for("alice", &[Role::Approver]);
    let bob = api.token_for("bob", &[Role::Approver]);
    let other_deployer = api.token_for("dirk", &[Role::Deployer]);
    api.service("billing").await;
    let wanted = "CREATE TABLE t (id bigint PRIMARY KEY, name text);";
    api.push("billing", &publisher, "application/sql", wanted).await;
    let dbs = [TestDb::new().await, TestDb::new().await, TestDb::new().await];
    for (env, db) in ["dev", "staging", "production"].iter().zip(&dbs) {
        api.put_json(
            &format!("/v1/services/billing/environments/{env}"),
            &admin,
            json!({"database_url": db.url()}),
        )
        .await;
    }

    // The gate: staging before dev has verified the version.
    let before = api.contents().await;
    let p = api
        .post_json("/v1/services/billing/environments/staging/plans", &deployer, json!({}))
        .await
        .problem(409);
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("not verified in dev") && detail.contains("override_reason"),
        "{detail}"
    );
    api.post_json(
        "/v1/services/billing/environments/staging/plans",
        &deployer,
        json!({"override_reason": "hotfix"}),
    )
    .await
    .problem(403);
    api.post_json(
        "/v1/services/billing/environments/staging/plans",
        &admin,
        json!({"override_reason": "  "}),
    )
    .await
    .problem(422);
    assert_eq!(api.contents().await, before);

    // dev needs no approval; applied (here with psql) and verified by a drift check.
    let dev = plan(&api, "dev", &deployer, json!({})).await;
    assert_eq!(dev["state"], "approved", "{dev}");
    dbs[0].execute(dev["sql"].as_str().unwrap()).await;
    let drift = api
        .get("/v1/services/billing/environments/dev/drift?refresh=true", &admin)
        .await
        .json();
    assert_eq!(drift["state"], "in_sync");

    // staging: one approval, by a role the policy names, never the requester or publisher.
    let staging = plan(&api, "staging", &deployer, json!({})).await;
    assert_eq!(staging["state"], "pending_approval", "{staging}");
    let id = staging["id"].as_str().unwrap();
    let overview = api.get("/v1/overview", &admin).await.json();
    assert_eq!(overview["services"][0]["environments"][1]["pending_plans"], json!([id]));
    let before = api.contents().await;
    let p = act(
        &api,
        id,
        "approvals",
        &api.token_for("dana", &[Role::Deployer, Role::Approver]),
    )
    .await
    .problem(403);
    assert!(p["detail"].as_str().unwrap().contains("someone else"), "{p}");
    act(&api, id, "approvals", &publisher).await.problem(403);
    let p = act(&api, id, "approvals", &other_deployer).await.problem(403);
    assert!(p["detail"].as_str().unwrap().contains("approver"), "{p}");
    act(&api, "plan_none", "approvals", &alice).await.problem(404);
    assert_eq!(api.contents().await, before);
    let r = act(&api, id, "approvals", &alice).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let approved = r.json();
    assert_eq!(approved["state"], "approved");
    assert_eq!(approved["approvals"][0]["approver"], "alice");
    assert_eq!(approved["approvals"][0]["plan_digest"], staging["plan_digest"]);
    let p = act(&api, id, "approvals", &bob).await.problem(409);
    assert!(p["detail"].as_str().unwrap().contains("is approved"), "{p}");

    // Rejection and cancellation move only from the states that allow them.
    assert_eq!(act(&api, id, "rejection", &bob).await.json()["state"], "rejected");
    act(&api, id, "approvals", &bob).await.problem(409);
    act(&api, id, "cancellation", &deployer).await.problem(409);
    act(&api, id, "rejection", &api.token_for("eve", &[Role::Reader]))
        .await
        .problem(403);

    // A newer plan supersedes the open one.
    let first = plan(&api, "staging", &deployer, json!({})).await;
    let second = plan(&api, "staging", &deployer, json!({})).await;
    let first_id = first["id"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("/v1/plans/{first_id}"), &admin).await.json()["state"],
        "superseded"
    );
    let p = act(&api, first_id, "approvals", &alice).await.problem(409);
    assert!(p["detail"].as_str().unwrap().contains("superseded"), "{p}");
    let second_id = second["id"].as_str().unwrap();
    assert_eq!(
        act(&api, second_id, "cancellation", &other_deployer).await.json()["state"],
        "cancelled"
    );

    // production before staging has verified the version: refused, saying what is missing.
    let p = api
        .post_json(
            "/v1/services/billing/environments/production/plans",
            &deployer,
            json!({}),
        )
        .await
        .problem(409);
    assert!(p["detail"].as_str().unwrap().contains("not verified in staging"), "{p}");

    // production: the gate overridden by an admin with a reason (audited); two distinct
    // approvers, the same one counting once.
    let prod = plan(
        &api,
        "production",
        &admin,
        json!({"override_reason": "staging is down for maintenance"}),
    )
    .await;
    assert_eq!(
        (prod["state"].as_str(), prod["override_reason"].as_str()),
        (Some("pending_approval"), Some("staging is down for maintenance"))
    );
    let prod_id = prod["id"].as_str().unwrap();
    let log = api.get("/v1/audit?action=plan.override", &admin).await.json();
    assert_eq!(log["items"][0]["target"], prod_id);
    assert_eq!(log["items"][0]["detail"]["reason"], "staging is down for maintenance");
    assert_eq!(
        act(&api, prod_id, "approvals", &alice).await.json()["state"],
        "pending_approval"
    );
    let p = act(&api, prod_id, "approvals", &alice).await.problem(409);
    assert!(p["detail"].as_str().unwrap().contains("counts once"), "{p}");
    assert_eq!(act(&api, prod_id, "approvals", &bob).await.json()["state"], "approved");
    let actions: Vec<String> = api.get("/v1/audit?limit=100&service=billing", &admin).await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for expected in [
        "plan.approve",
        "plan.approved",
        "plan.reject",
        "plan.cancel",
        "plan.override",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{expected} not in {actions:?}");
    }
}
