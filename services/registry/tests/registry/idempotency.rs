//! Idempotency-Key on the POSTs that create or act, on both stores: a retry gets the first
//! answer and never causes a second action.

use crate::http::{Api, Backend};
use axum::http::Method;
use schemareg::auth::Role;
use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

on_both_stores!(retries_get_the_first_answer);

async fn post(api: &Api, path: &str, token: &str, key: &str, body: Value) -> crate::http::Resp {
    api.request(
        Method::POST,
        path,
        Some(token),
        &[("content-type", "application/json"), ("idempotency-key", key)],
        body.to_string(),
    )
    .await
}

async fn count(api: &Api, action: &str) -> usize {
    api.get(&format!("/v1/audit?action={action}&limit=100"), &api.admin())
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .len()
}

async fn retries_get_the_first_answer(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let deployer = api.token_for("dana", &[Role::Deployer]);
    api.service("billing").await;
    api.push("billing", &admin, "application/sql", "CREATE TABLE t (id int);")
        .await;
    let dbs = [TestDb::new().await, TestDb::new().await];
    for (env, db) in ["dev", "staging"].iter().zip(&dbs) {
        api.put_json(
            &format!("/v1/services/billing/environments/{env}"),
            &admin,
            json!({"database_url": db.url()}),
        )
        .await;
    }

    // Creating a plan twice with one key: one plan, the same answer.
    let path = "/v1/services/billing/environments/dev/plans";
    let first = post(&api, path, &deployer, "plan-1", json!({})).await;
    let again = post(&api, path, &deployer, "plan-1", json!({})).await;
    assert_eq!(first.status, again.status);
    assert_eq!(first.text, again.text);
    assert_eq!(first.headers["location"], again.headers["location"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(count(&api, "plan.create").await, 1);
    let before = api.contents().await;
    let p = post(&api, path, &deployer, "plan-1", json!({"version": "1"}))
        .await
        .problem(422);
    assert!(p["detail"].as_str().unwrap().contains("another request"), "{p}");
    post(&api, path, &deployer, "has spaces", json!({})).await.problem(422);
    assert_eq!(api.contents().await, before);
    // Keys belong to their subject: another deployer's same key is a request of its own.
    let other = post(
        &api,
        path,
        &api.token_for("dirk", &[Role::Deployer]),
        "plan-1",
        json!({}),
    )
    .await;
    assert!(other.headers.get("idempotent-replayed").is_none());
    assert_eq!(count(&api, "plan.create").await, 2);

    // Applying twice with one key: one apply.
    let id = other.json()["id"].as_str().unwrap().to_string();
    assert_eq!(api.settled(&id, &api.admin()).await["state"], "approved");
    let apply = format!("/v1/plans/{id}/apply");
    let a = post(&api, &apply, &deployer, "apply-1", json!({})).await;
    let b = post(&api, &apply, &deployer, "apply-1", json!({})).await;
    assert_eq!((a.status, &a.text), (b.status, &b.text));
    assert_eq!(count(&api, "plan.apply.start").await, 1);
    assert_eq!(api.settled(&id, &api.admin()).await["state"], "verified");
    // Without a key, a second apply is a second request, refused by the life cycle.
    api.post_json(&apply, &deployer, json!({})).await.problem(409);

    // Approving twice with one key: one approval, the same 201.
    let staging = post(
        &api,
        "/v1/services/billing/environments/staging/plans",
        &admin,
        "staging-1",
        json!({}),
    )
    .await;
    let staging_id = staging.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.settled(&staging_id, &api.admin()).await["state"],
        "pending_approval"
    );
    let alice = api.token_for("alice", &[Role::Approver]);
    let approve = format!("/v1/plans/{staging_id}/approvals");
    let a = post(&api, &approve, &alice, "ok-1", json!({"comment": "fine"})).await;
    let b = post(&api, &approve, &alice, "ok-1", json!({"comment": "fine"})).await;
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (201, 201), "{}", b.text);
    assert_eq!(a.text, b.text);
    assert_eq!(count(&api, "plan.approve").await, 1);
}

/// A new webhook's answer holds its signing secret: a retry with the same key gets it again
/// (still `no-store`), but the store keeps that answer encrypted, never the secret in plain text.
#[tokio::test(flavor = "multi_thread")]
async fn a_kept_answer_that_holds_a_secret_is_stored_encrypted() {
    let api = Api::with(Backend::Sqlite, |c| {
        c.webhook_allowed_networks = vec!["127.0.0.0/8".into()];
    })
    .await;
    let admin = api.admin();
    let body = json!({"url": "http://127.0.0.1:9/hook", "events": ["plan.approved"]});
    let first = post(&api, "/v1/webhooks", &admin, "hook-1", body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let secret = first.json()["secret"].as_str().unwrap().to_string();
    let again = post(&api, "/v1/webhooks", &admin, "hook-1", body).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.json()["secret"], secret.as_str(), "the same answer");
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.headers["cache-control"], "no-store");
    let listed = api.get("/v1/webhooks", &admin).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "one webhook");
    let path = api.config.store_url.trim_start_matches("sqlite://").to_string();
    for file in [path.clone(), format!("{path}-wal")] {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{file} holds the webhook's secret in plain text"
        );
    }
}
