//! Drift and plans over HTTP: a bound database's drift, a plan computed, verified and read as
//! JSON and SQL, the overview, and what a database that does not answer or a missing secret gives.

use crate::http::{Api, Backend, PASSWORD, url_with_password};
use axum::http::{Method, StatusCode};
use schemareg::auth::Role;
use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

use super::{USERS_SQL, refused};

on_both_stores!(drift_and_plans);

/// Polls a plan until it is no longer computing.
async fn settled(api: &Api, created: crate::http::Resp, token: &str) -> Value {
    assert!(
        created.status == StatusCode::CREATED || created.status == StatusCode::ACCEPTED,
        "{}",
        created.text
    );
    api.computed(created.headers["location"].to_str().unwrap(), token).await
}

async fn drift_and_plans(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let reader = api.token(&[Role::Reader]);
    let deployer = api.token(&[Role::Deployer]);
    api.service("billing").await;
    let live = TestDb::new().await;
    live.execute(USERS_SQL).await;
    live.execute("INSERT INTO users VALUES (1, 'a@example.com');").await;
    let path = "/v1/services/billing/environments/dev";
    api.put_json(path, &admin, json!({"database_url": url_with_password(&live)}))
        .await;

    // Drift and plans need a version.
    refused(&api, 404, api.get(&format!("{path}/drift"), &reader)).await;
    refused(&api, 404, api.post_json(&format!("{path}/plans"), &deployer, json!({}))).await;
    let wanted = format!("{USERS_SQL}ALTER TABLE users ADD COLUMN bio text;");
    api.push("billing", &api.token(&[Role::Publisher]), "application/sql", wanted)
        .await;

    let drift = api.get(&format!("{path}/drift"), &reader).await;
    assert_eq!(drift.status, StatusCode::OK, "{}", drift.text);
    let drift = drift.json();
    assert_eq!(
        (drift["state"].as_str(), drift["version"].as_i64()),
        (Some("drifted"), Some(1))
    );
    assert_eq!(drift["changes"].as_array().unwrap().len(), 1, "{drift}");
    assert!(
        drift["sql"].as_str().unwrap().contains("ADD COLUMN \"bio\" text"),
        "{drift}"
    );
    assert!(drift["live_fingerprint"].as_str().unwrap().starts_with("sha256:"));
    refused(&api, 400, api.get(&format!("{path}/drift?version=x"), &reader)).await;
    refused(&api, 404, api.get(&format!("{path}/drift?version=7"), &reader)).await;
    refused(
        &api,
        404,
        api.get("/v1/services/billing/environments/staging/drift", &reader),
    )
    .await;
    refused(
        &api,
        401,
        api.request(Method::GET, &format!("{path}/drift"), None, &[], ""),
    )
    .await;

    // A plan: computed, verified, readable as JSON and SQL.
    refused(&api, 403, api.post_json(&format!("{path}/plans"), &reader, json!({}))).await;
    refused(
        &api,
        400,
        api.post_json(&format!("{path}/plans"), &deployer, json!({"version": "x"})),
    )
    .await;
    refused(
        &api,
        404,
        api.post_json("/v1/services/billing/environments/staging/plans", &deployer, json!({})),
    )
    .await;
    let created = api
        .post_json(&format!("{path}/plans"), &deployer, json!({"version": "latest"}))
        .await;
    let plan = settled(&api, created, &reader).await;
    // dev's policy asks for no approval: a verified plan is approved at once.
    assert_eq!(plan["state"], "approved", "{plan}");
    assert_eq!(plan["from_fingerprint"], drift["live_fingerprint"]);
    assert_eq!(plan["to_version"], 1);
    assert!(plan["verification"].as_str().unwrap().contains("verified"), "{plan}");
    let id = plan["id"].as_str().unwrap();
    let sql = api.get_sql(&format!("/v1/plans/{id}"), &reader).await;
    assert!(sql.text.contains("ADD COLUMN \"bio\" text"), "{}", sql.text);
    refused(&api, 404, api.get("/v1/plans/plan_0000", &reader)).await;
    let list = api
        .get("/v1/services/billing/plans?state=approved", &reader)
        .await
        .json();
    assert_eq!(list["items"][0]["id"], id);
    refused(&api, 400, api.get("/v1/services/billing/plans?state=sleeping", &reader)).await;

    let overview = api.get("/v1/overview", &reader).await.json();
    let dev = &overview["services"][0]["environments"][0];
    assert_eq!(overview["services"][0]["latest_version"], 1);
    assert_eq!(
        (dev["bound"].as_bool(), dev["drift_state"].as_str()),
        (Some(true), Some("drifted"))
    );
    assert_eq!(dev["pending_plans"], json!([]), "nothing waits for approval in dev");

    // Applied: the drift is gone and the version is verified there.
    live.execute(&sql.text).await;
    // The last observation is from before: read again.
    let drift = api.get(&format!("{path}/drift?refresh=true"), &reader).await.json();
    assert_eq!(
        (drift["state"].as_str(), drift["sql"].as_str()),
        (Some("in_sync"), Some(""))
    );
    let overview = api.get("/v1/overview", &reader).await.json();
    assert_eq!(overview["services"][0]["environments"][0]["verified_version"], 1);

    // A database that does not answer: 503, saying which; a secret that is not there: 409, the
    // binding is not usable as it is.
    api.put_json(
        "/v1/services/billing/environments/staging",
        &admin,
        json!({"database_url": format!("postgres://app:{PASSWORD}@127.0.0.1:1/app")}),
    )
    .await;
    let p = api
        .get("/v1/services/billing/environments/staging/drift", &reader)
        .await
        .problem(503);
    assert!(p["detail"].as_str().unwrap().contains("staging"), "{p}");
    api.put_json(
        "/v1/services/billing/environments/production",
        &admin,
        json!({"database_url_ref": "env:SCHEMAREG_DB_TEST_UNSET_VARIABLE"}),
    )
    .await;
    let p = api
        .get("/v1/services/billing/environments/production/drift", &reader)
        .await
        .problem(409);
    assert_eq!(p["type"], "https://schemareg.dev/problems/unusable-binding");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("SCHEMAREG_DB_TEST_UNSET_VARIABLE"),
        "{p}"
    );
    // A plan against a database that does not answer fails and says why.
    let created = api
        .post_json("/v1/services/billing/environments/staging/plans", &deployer, json!({}))
        .await;
    let failed = settled(&api, created, &reader).await;
    assert_eq!(failed["state"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("does not answer"),
        "{failed}"
    );
    api.get_sql(&format!("/v1/plans/{}", failed["id"].as_str().unwrap()), &reader)
        .await
        .problem(409);

    api.assert_no_secret_shown();
}
