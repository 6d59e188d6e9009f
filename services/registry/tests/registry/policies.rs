//! Environment policies over HTTP, on both stores: defaults per environment, replaced by
//! admins with If-Match, refused when stale, missing the precondition, or invalid.

use crate::http::{Api, Backend};
use axum::http::{Method, StatusCode};
use schemareg::auth::Role;
use serde_json::{Value, json};

on_both_stores!(policies);

async fn put(api: &Api, env: &str, token: &str, if_match: Option<&str>, body: &Value) -> crate::http::Resp {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(m) = if_match {
        headers.push(("if-match", m));
    }
    api.request(
        Method::PUT,
        &format!("/v1/environments/{env}/policy"),
        Some(token),
        &headers,
        body.to_string(),
    )
    .await
}

async fn policies(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let reader = api.token(&[Role::Reader]);
    let prod = api.get("/v1/environments/production/policy", &reader).await;
    assert_eq!(prod.status, StatusCode::OK, "{}", prod.text);
    assert_eq!(prod.headers["etag"], "\"0\"");
    let view = prod.json();
    assert_eq!(view["version"], 0);
    assert_eq!(view["policy"]["approvals_required"], 2);
    assert_eq!(
        view["policy"]["admin_approval_hazards"],
        json!([
            "data_loss",
            "drops_object",
            "possible_rename",
            "security_definer",
            "untrusted_language",
            "weakens_row_security"
        ])
    );
    let approvals = |env: &'static str| {
        let api = &api;
        let reader = reader.clone();
        async move {
            api.get(&format!("/v1/environments/{env}/policy"), &reader).await.json()["policy"]["approvals_required"]
                .clone()
        }
    };
    assert_eq!(
        (approvals("dev").await, approvals("staging").await),
        (json!(0), json!(1))
    );

    let mut wanted = view["policy"].clone();
    wanted["approvals_required"] = json!(3);
    wanted["forbidden_hazards"] = json!(["table_rewrite"]);
    let before = api.contents().await;
    put(&api, "production", &admin, None, &wanted).await.problem(428);
    put(&api, "production", &admin, Some("\"5\""), &wanted)
        .await
        .problem(412);
    put(&api, "production", &admin, Some("not-an-etag"), &wanted)
        .await
        .problem(400);
    put(&api, "production", &reader, Some("\"0\""), &wanted)
        .await
        .problem(403);
    put(&api, "moon", &admin, Some("\"0\""), &wanted).await.problem(404);
    let mut bad = wanted.clone();
    bad["forbidden_hazards"] = json!(["explosions"]);
    put(&api, "production", &admin, Some("\"0\""), &bad).await.problem(422);
    let mut bad = wanted.clone();
    bad["lock_timeout"] = json!("10s'; DROP TABLE users; --");
    let p = put(&api, "production", &admin, Some("\"0\""), &bad).await.problem(422);
    assert_eq!(p["errors"][0]["field"], "lock_timeout");
    assert_eq!(api.contents().await, before);
    assert_eq!(
        api.get("/v1/environments/production/policy", &reader).await.json()["version"],
        0
    );

    let r = put(&api, "production", &admin, Some("\"0\""), &wanted).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers["etag"], "\"1\"");
    assert_eq!(
        (r.json()["version"].as_i64(), r.json()["updated_by"].as_str()),
        (Some(1), Some("tester"))
    );
    // A second writer who read version 0 does not overwrite unseen.
    put(&api, "production", &admin, Some("\"0\""), &view["policy"])
        .await
        .problem(412);
    let read = api.get("/v1/environments/production/policy", &reader).await.json();
    assert_eq!(read["policy"], wanted);
    let r = put(&api, "production", &admin, Some("W/\"1\""), &view["policy"]).await;
    assert_eq!((r.status, r.json()["version"].as_i64()), (StatusCode::OK, Some(2)));
    // What GET answered can be sent back as it is (its read-only fields passed over).
    let mut read = api.get("/v1/environments/production/policy", &reader).await.json();
    read["policy"]["approvals_required"] = json!(2);
    read["version"] = json!(99);
    let r = put(&api, "production", &admin, Some("\"2\""), &read).await;
    assert_eq!(
        (r.status, r.json()["version"].as_i64()),
        (StatusCode::OK, Some(3)),
        "{}",
        r.text
    );
    assert_eq!(r.json()["policy"]["approvals_required"], 2);
    // Anything else beside `policy` is still refused, with the field named.
    read["colour"] = json!("blue");
    let p = put(&api, "production", &admin, Some("\"3\""), &read).await.problem(422);
    let field = p["errors"][0]["field"].as_str().unwrap_or_default().to_string();
    assert!(
        ["colour", "environment", "version", "updated_by", "updated_at", "policy"].contains(&field.as_str()),
        "{p}"
    );
    let log = api.get("/v1/audit?action=policy.put", &admin).await.json();
    assert_eq!(log["items"].as_array().unwrap().len(), 3);
    assert_eq!(log["items"][0]["environment"], "production");

    // Plans follow the policy of their environment: its timeouts and concurrent index builds.
    let mut dev = api.get("/v1/environments/dev/policy", &reader).await.json()["policy"].clone();
    dev["lock_timeout"] = json!("3s");
    dev["statement_timeout"] = json!("5min");
    dev["concurrently"] = json!(true);
    assert_eq!(
        put(&api, "dev", &admin, Some("\"0\""), &dev).await.status,
        StatusCode::OK
    );
    api.service("billing").await;
    let live = schemareg_adapters::testing::TestDb::new().await;
    live.execute("CREATE TABLE t (id int, name text);").await;
    let wanted = "CREATE TABLE t (id int, name text);\nCREATE INDEX t_name ON t (name);";
    api.push("billing", &admin, "application/sql", wanted).await;
    api.put_json(
        "/v1/services/billing/environments/dev",
        &admin,
        json!({"database_url": live.url()}),
    )
    .await;
    let created = api
        .post_json("/v1/services/billing/environments/dev/plans", &admin, json!({}))
        .await;
    let location = created.headers["location"].to_str().unwrap().to_string();
    let plan = loop {
        let p = api.get(&location, &reader).await.json();
        if p["state"] != "computing" {
            break p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let sql = plan["sql"].as_str().unwrap();
    assert!(sql.contains("SET lock_timeout = '3s';"), "{sql}");
    assert!(sql.contains("SET statement_timeout = '5min';"), "{sql}");
    assert!(sql.contains("CREATE INDEX CONCURRENTLY"), "{sql}");
}
