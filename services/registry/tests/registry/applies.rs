//! Applies over HTTP, on both stores: by the registry (verified afterwards; a step failing on
//! existing data leaves the database as it was; a changed live schema makes the plan stale;
//! two applies at once, one runs) and by a pipeline that reports back.

use crate::http::{Api, Backend};
use axum::http::StatusCode;
use schemareg::auth::Role;
use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

on_both_stores!(applies);

async fn push_and_plan(api: &Api, env: &str, sql: &str) -> Value {
    let r = api
        .push(
            "billing",
            &api.token_for("paul", &[Role::Publisher]),
            "application/sql",
            sql.to_string(),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let created = api
        .post_json(
            &format!("/v1/services/billing/environments/{env}/plans"),
            &api.token_for("dana", &[Role::Deployer]),
            json!({}),
        )
        .await;
    assert!(created.status.is_success(), "{}", created.text);
    api.settled(created.headers["location"].to_str().unwrap(), &api.admin())
        .await
}

async fn apply(api: &Api, id: &str) -> crate::http::Resp {
    api.post_json(
        &format!("/v1/plans/{id}/apply"),
        &api.token_for("dana", &[Role::Deployer]),
        json!({}),
    )
    .await
}

async fn columns(db: &TestDb) -> Vec<String> {
    db.client()
        .await
        .query(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = 't' ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn applies(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    api.service("billing").await;
    let dev = TestDb::new().await;
    dev.execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);")
        .await;
    api.put_json(
        "/v1/services/billing/environments/dev",
        &admin,
        json!({"database_url": dev.url()}),
    )
    .await;

    // A step that fails on existing rows: the plan fails with PostgreSQL's error, the database
    // stays as it was.
    let plan = push_and_plan(&api, "dev", "CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL);").await;
    assert_eq!(plan["state"], "approved", "{plan}");
    let id = plan["id"].as_str().unwrap().to_string();
    api.post_json(&format!("/v1/plans/{id}/apply"), &api.token(&[Role::Reader]), json!({}))
        .await
        .problem(403);
    let r = apply(&api, &id).await;
    assert!(matches!(r.status.as_u16(), 200 | 202), "{}", r.text);
    let failed = api.settled(&format!("/v1/plans/{id}"), &api.admin()).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    assert!(failed["error"].as_str().unwrap().contains("null"), "{failed}");
    assert_eq!(columns(&dev).await, ["id"], "the failed group rolled back");
    assert!(
        failed["applied_steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["committed"] == false),
        "{failed}"
    );
    apply(&api, &id).await.problem(409);

    // A plan that applies: verified, and the environment says so.
    let plan = push_and_plan(&api, "dev", "CREATE TABLE t (id int PRIMARY KEY, name text);").await;
    let id = plan["id"].as_str().unwrap().to_string();
    let r = apply(&api, &id).await;
    assert!(matches!(r.status.as_u16(), 200 | 202), "{}", r.text);
    let done = api.settled(&format!("/v1/plans/{id}"), &api.admin()).await;
    assert_eq!(done["state"], "verified", "{done}");
    assert!(done["verification"].as_str().unwrap().starts_with("verified"), "{done}");
    assert_eq!(columns(&dev).await, ["id", "name"]);
    let binding = api.get("/v1/services/billing/environments/dev", &admin).await.json();
    assert_eq!(
        (
            binding["applied_version"].as_i64(),
            binding["verified_version"].as_i64()
        ),
        (Some(2), Some(2))
    );
    apply(&api, &id).await.problem(409);

    // The live schema changed after the plan was computed: 409, and the plan is stale.
    let plan = push_and_plan(&api, "dev", "CREATE TABLE t (id int PRIMARY KEY, name text, bio text);").await;
    let id = plan["id"].as_str().unwrap().to_string();
    dev.execute("CREATE TABLE sneaky (id int);").await;
    let p = apply(&api, &id).await.problem(409);
    assert!(p["detail"].as_str().unwrap().contains("changed"), "{p}");
    assert_eq!(
        api.get(&format!("/v1/plans/{id}"), &admin).await.json()["state"],
        "stale"
    );
    assert_eq!(columns(&dev).await, ["id", "name"]);
    dev.execute("DROP TABLE sneaky;").await;

    // Two applies of one plan at once: exactly one runs.
    let plan = push_and_plan(
        &api,
        "dev",
        "CREATE TABLE t (id int PRIMARY KEY, name text, bio text, age int);",
    )
    .await;
    let id = plan["id"].as_str().unwrap().to_string();
    let (a, b) = tokio::join!(apply(&api, &id), apply(&api, &id));
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert!(
        statuses[1] == 409 && statuses[0] < 300,
        "{statuses:?}: {} / {}",
        a.text,
        b.text
    );
    assert_eq!(
        api.settled(&format!("/v1/plans/{id}"), &api.admin()).await["state"],
        "verified"
    );
    let starts = api
        .get("/v1/audit?action=plan.apply.start&limit=100", &admin)
        .await
        .json();
    let runs = starts["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == id.as_str())
        .count();
    assert_eq!(runs, 1);

    // A pipeline applies the SQL itself and reports back; the registry verifies.
    let plan = push_and_plan(
        &api,
        "dev",
        "CREATE TABLE t (id int PRIMARY KEY, name text, bio text, age int, x int);",
    )
    .await;
    let id = plan["id"].as_str().unwrap().to_string();
    let sql = api.get_sql(&format!("/v1/plans/{id}"), &admin).await.text;
    dev.execute(&sql).await;
    let report = |outcome: &str| json!({"outcome": outcome, "message": "deploy #412"});
    let deployer = api.token_for("dana", &[Role::Deployer]);
    api.post_json(&format!("/v1/plans/{id}/report"), &deployer, report("exploded"))
        .await
        .problem(422);
    let r = api
        .post_json(&format!("/v1/plans/{id}/report"), &deployer, report("applied"))
        .await;
    assert_eq!(
        (r.status, r.json()["state"].as_str()),
        (StatusCode::OK, Some("verified")),
        "{}",
        r.text
    );
    api.post_json(&format!("/v1/plans/{id}/report"), &deployer, report("applied"))
        .await
        .problem(409);
    let plan = push_and_plan(
        &api,
        "dev",
        "CREATE TABLE t (id int PRIMARY KEY, name text, bio text, age int, x int, y int);",
    )
    .await;
    let id = plan["id"].as_str().unwrap().to_string();
    let r = api
        .post_json(&format!("/v1/plans/{id}/report"), &deployer, report("failed"))
        .await;
    assert_eq!(r.json()["state"], "failed");
    assert!(r.json()["error"].as_str().unwrap().contains("deploy #412"));
    api.assert_no_secret_shown();
}
