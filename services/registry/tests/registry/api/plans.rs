//! Drift and plans over HTTP: a bound database's drift, a plan computed, verified and read as
//! JSON and SQL, the overview, and what a database that does not answer or a missing secret gives.

use crate::http::{Api, Backend, PASSWORD, url_with_password};
use axum::http::{Method, StatusCode};
use schemareg::auth::Role;
use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

use super::{USERS_SQL, refused};

on_both_stores!(drift_and_plans, a_plan_counts_the_rows_that_would_make_its_steps_fail);

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

/// A plan computed against a database with rows says, step by step, how many of them would
/// make the step fail (issue 34, item 1): NULLs where a column becomes NOT NULL, duplicates of
/// a new unique key; a step no row can fail has no check.
async fn a_plan_counts_the_rows_that_would_make_its_steps_fail(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    api.service("billing").await;
    let live = TestDb::new().await;
    live.execute(
        "CREATE TABLE users (id bigint PRIMARY KEY, email text, nick text); \
         INSERT INTO users VALUES (1, 'a@example.com', 'a'), (2, NULL, 'b'), (3, NULL, 'b');",
    )
    .await;
    let wanted = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, nick text UNIQUE, bio text);";
    let pushed = api.push("billing", &admin, "application/sql", wanted).await;
    assert_eq!(pushed.status, StatusCode::CREATED, "{}", pushed.text);
    let created = api.plan_in_dev("billing", &url_with_password(&live)).await;
    let plan = settled(&api, created, &admin).await;
    let steps = plan["plan"]["steps"].as_array().unwrap();
    let step_of = |words: &str| {
        steps
            .iter()
            .find(|s| s["description"].as_str().unwrap().contains(words))
            .unwrap_or_else(|| panic!("no step {words}: {plan}"))["id"]
            .clone()
    };
    let checks = plan["data_checks"].as_array().unwrap_or_else(|| panic!("{plan}"));
    let found: Vec<Value> = checks
        .iter()
        .map(|c| {
            json!([
                c["step"],
                c["check"],
                c["outcome"],
                c["checked"],
                c["failing"],
                c["exact"]
            ])
        })
        .collect();
    assert_eq!(
        found,
        [
            json!([
                step_of("alter column public.users.email"),
                "NULLs in public.users.email",
                "counted",
                3,
                2,
                true
            ]),
            json!([
                step_of("add constraint"),
                "duplicates of (\"nick\") in public.users",
                "counted",
                3,
                2,
                true
            ]),
        ],
        "{plan}"
    );
    // Read back from the store, the plan says the same.
    let again = api
        .get(&format!("/v1/plans/{}", plan["id"].as_str().unwrap()), &admin)
        .await
        .json();
    assert_eq!(again["data_checks"], plan["data_checks"]);
}
