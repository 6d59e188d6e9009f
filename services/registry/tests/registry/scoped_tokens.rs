//! Tokens scoped to services and environments, on both stores: a deployer of one service
//! cannot touch another, a token for staging cannot act on production; lists show only the
//! scope; refusals are 403 with a problem body, audited, and change nothing.

use crate::http::{Api, Backend};
use schemareg::auth::Role;
use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

on_both_stores!(scoped_tokens);

async fn scoped_tokens(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let dbs = [TestDb::new().await, TestDb::new().await];
    for (name, db) in ["alpha", "beta"].iter().zip(&dbs) {
        api.service(name).await;
        api.push(name, &admin, "application/sql", "CREATE TABLE t (id int);")
            .await;
        for env in ["dev", "staging", "production"] {
            api.put_json(
                &format!("/v1/services/{name}/environments/{env}"),
                &admin,
                json!({"database_url": db.url()}),
            )
            .await;
        }
    }
    let alpha_deployer = api.scoped(&[Role::Deployer, Role::Publisher], &["alpha"], &[]);
    let staging_only = api.scoped(&[Role::Deployer, Role::Approver], &[], &["dev", "staging"]);

    // A plan of beta, by an unscoped deployer.
    let created = api
        .post_json("/v1/services/beta/environments/dev/plans", &admin, json!({}))
        .await;
    let beta_plan = api.computed(created.json()["id"].as_str().unwrap(), &api.admin()).await;
    let beta_id = beta_plan["id"].as_str().unwrap().to_string();

    let before = api.contents().await;
    for (method, path, body) in [
        ("POST", "/v1/services/beta/versions", None),
        ("GET", "/v1/services/beta", None),
        ("GET", "/v1/services/beta/versions/1", None),
        ("GET", "/v1/services/beta/environments/dev/drift", None),
        ("POST", "/v1/services/beta/environments/dev/plans", Some(json!({}))),
    ] {
        let r = match (method, body) {
            ("GET", _) => api.get(path, &alpha_deployer).await,
            (_, Some(b)) => api.post_json(path, &alpha_deployer, b).await,
            _ => {
                api.push("beta", &alpha_deployer, "application/sql", "CREATE TABLE u (id int);")
                    .await
            }
        };
        let p = r.problem(403);
        assert!(p["detail"].as_str().unwrap().contains("scoped"), "{method} {path}: {p}");
    }
    // A plan of beta does not exist for alpha's token (a 403 would name beta).
    for (method, path, body) in [
        ("GET", format!("/v1/plans/{beta_id}"), None),
        ("POST", format!("/v1/plans/{beta_id}/apply"), Some(json!({}))),
        ("POST", format!("/v1/plans/{beta_id}/cancellation"), Some(json!({}))),
    ] {
        let r = match body {
            None => api.get(&path, &alpha_deployer).await,
            Some(b) => api.post_json(&path, &alpha_deployer, b).await,
        };
        let p = r.problem(404);
        assert!(!p["detail"].as_str().unwrap().contains("beta"), "{method} {path}: {p}");
    }
    assert_eq!(api.contents().await, before, "refused requests changed nothing");

    // Its own service works; lists and the overview show only the scope.
    let r = api
        .push(
            "alpha",
            &alpha_deployer,
            "application/sql",
            "CREATE TABLE t (id int, x int);",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let names: Vec<Value> = api.get("/v1/services", &alpha_deployer).await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names, [json!("alpha")]);
    let overview = api.get("/v1/overview", &staging_only).await.json();
    assert_eq!(overview["environments"], json!(["dev", "staging"]));

    // A token for dev and staging cannot plan, approve or apply production.
    api.post_json(
        "/v1/services/alpha/environments/production/plans",
        &staging_only,
        json!({}),
    )
    .await
    .problem(403);
    let prod = api
        .post_json(
            "/v1/services/alpha/environments/production/plans",
            &admin,
            json!({"override_reason": "test"}),
        )
        .await;
    let prod_id = prod.json()["id"].as_str().unwrap().to_string();
    api.computed(&prod_id, &api.admin()).await;
    api.post_json(&format!("/v1/plans/{prod_id}/approvals"), &staging_only, json!({}))
        .await
        .problem(404);
    api.post_json(&format!("/v1/plans/{prod_id}/apply"), &staging_only, json!({}))
        .await
        .problem(404);
    // Scoped admins may not read the audit log nor add environments.
    let scoped_admin = api.scoped(&[Role::Admin], &["alpha"], &[]);
    api.get("/v1/audit", &scoped_admin).await.problem(403);
    api.post_json("/v1/environments", &scoped_admin, json!({"name": "qa"}))
        .await
        .problem(403);
    let denied = api.get("/v1/audit?outcome=denied&limit=100", &admin).await.json();
    assert!(denied["items"].as_array().unwrap().len() >= 8, "{denied}");
}
