//! The audit log over HTTP, on both stores: every action and every denied attempt, in order,
//! with who, what and from where; readable by admins with filters and pages; no operation
//! changes it.

use crate::http::{Api, Backend, PASSWORD, url_with_password};
use axum::http::{Method, StatusCode};
use schemareg::auth::Role;
use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

on_both_stores!(actions_and_denials_in_order);

async fn entries(api: &Api, query: &str) -> Vec<Value> {
    let r = api.get(&format!("/v1/audit{query}"), &api.admin()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["items"].as_array().unwrap().clone()
}

async fn actions_and_denials_in_order(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let publisher = api.token(&[Role::Publisher]);
    let created = api
        .request(
            Method::POST,
            "/v1/services",
            Some(&admin),
            &[
                ("content-type", "application/json"),
                ("user-agent", "deploy-pipeline/1.0"),
            ],
            json!({"name": "billing"}).to_string(),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let request_id = created.headers["x-request-id"].to_str().unwrap().to_string();
    api.push("billing", &publisher, "application/sql", "CREATE TABLE t (id int);")
        .await;
    api.push("billing", &publisher, "application/sql", "CREATE TABLE t (id int);")
        .await;
    api.request(Method::GET, "/v1/services", None, &[], "")
        .await
        .problem(401);
    api.post_json("/v1/services", &api.token(&[Role::Reader]), json!({"name": "x"}))
        .await
        .problem(403);
    let db = TestDb::new().await;
    let bound = api
        .put_json(
            "/v1/services/billing/environments/dev",
            &admin,
            json!({"database_url": url_with_password(&db)}),
        )
        .await;
    assert_eq!(bound.status, StatusCode::CREATED, "{}", bound.text);
    let plan = api
        .post_json(
            "/v1/services/billing/environments/dev/plans",
            &api.token(&[Role::Deployer]),
            json!({}),
        )
        .await;
    let plan_id = plan.json()["id"].as_str().unwrap().to_string();
    let location = plan.headers["location"].to_str().unwrap().to_string();
    while api.get(&location, &admin).await.json()["state"] == "computing" {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let log = entries(&api, "?limit=100").await;
    let summary: Vec<(String, String, String)> = log
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["subject"].as_str().unwrap().to_string(),
                e["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("service.create", "tester", "ok"),
        ("version.push", "tester", "ok"),
        ("denied", "anonymous", "denied"),
        ("denied", "tester", "denied"),
        ("binding.put", "tester", "ok"),
        ("plan.create", "tester", "ok"),
        ("plan.computed", "registry", "ok"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, s, o)| (a.to_string(), s.to_string(), o.to_string()))
        .collect();
    assert_eq!(summary, expected, "{log:#?}");
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=7).collect::<Vec<_>>(),
        "the second, idempotent push changed nothing"
    );
    assert_eq!(log[0]["request_id"], request_id.as_str());
    assert_eq!(log[0]["user_agent"], "deploy-pipeline/1.0");
    assert_eq!(log[0]["service"], "billing");
    assert_eq!(log[1]["target"], "1");
    assert_eq!(log[2]["target"], "GET /v1/services");
    assert_eq!(
        (log[4]["environment"].as_str(), log[4]["detail"]["secret"].as_str()),
        (Some("dev"), Some("encrypted"))
    );
    assert_eq!(log[5]["target"], plan_id.as_str());
    assert!(!serde_json::to_string(&log).unwrap().contains(PASSWORD));

    // Filters and pages.
    let denied = entries(&api, "?outcome=denied").await;
    assert_eq!(denied.len(), 2);
    let pushes = entries(&api, "?action=version.push").await;
    assert_eq!((pushes.len(), pushes[0]["seq"].as_i64()), (1, Some(2)));
    let page = api.get("/v1/audit?limit=3", &admin).await.json();
    let next = page["next_cursor"].as_str().unwrap();
    let second = entries(&api, &format!("?limit=3&cursor={next}")).await;
    assert_eq!(second[0]["seq"], 4);

    // Admins only; and nothing changes or deletes an entry.
    let before = entries(&api, "?limit=100").await;
    let reader = api.token(&[Role::Reader]);
    api.get("/v1/audit", &reader).await.problem(403);
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        for path in ["/v1/audit", "/v1/audit/1"] {
            let r = api
                .request(
                    method.clone(),
                    path,
                    Some(&admin),
                    &[("content-type", "application/json")],
                    "{}",
                )
                .await;
            assert!(matches!(r.status.as_u16(), 404 | 405), "{method} {path}: {}", r.text);
            r.problem(r.status.as_u16());
        }
    }
    let after = entries(&api, "?limit=100").await;
    assert_eq!(after[..before.len()], before[..], "entries changed");
    assert!(
        after[before.len()..].iter().all(|e| e["action"] == "denied"),
        "only the refused attempts were added"
    );
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(crate::common::repo().join("openapi/openapi.json")).unwrap())
            .unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/v1/audit") {
            let methods: Vec<&String> = item.as_object().unwrap().keys().collect();
            assert_eq!(methods, ["get"], "{path} must be read-only");
        }
    }
}
