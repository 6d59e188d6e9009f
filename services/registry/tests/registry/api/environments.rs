//! Environments and bindings over HTTP: environments listed and created, a service bound to a
//! database in one (by encrypted URL or by reference), and each way a binding is refused.

use crate::http::{Api, Backend, PASSWORD, url_with_password};
use axum::http::StatusCode;
use schemareg::auth::Role;
use schemareg_adapters::testing::TestDb;
use serde_json::json;

use super::refused;

on_both_stores!(environments_and_bindings);

async fn environments_and_bindings(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let reader = api.token(&[Role::Reader]);
    let envs = api.get("/v1/environments", &reader).await.json();
    let names: Vec<_> = envs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].clone())
        .collect();
    assert_eq!(names, [json!("dev"), json!("staging"), json!("production")]);
    let r = api.post_json("/v1/environments", &admin, json!({"name": "qa"})).await;
    assert_eq!(
        (r.status, r.json()["position"].as_i64()),
        (StatusCode::CREATED, Some(4))
    );
    refused(
        &api,
        409,
        api.post_json("/v1/environments", &admin, json!({"name": "qa"})),
    )
    .await;
    refused(
        &api,
        403,
        api.post_json("/v1/environments", &reader, json!({"name": "uat"})),
    )
    .await;
    refused(
        &api,
        422,
        api.post_json("/v1/environments", &admin, json!({"name": "UAT!"})),
    )
    .await;

    api.service("billing").await;
    let db = TestDb::new().await;
    let url = url_with_password(&db);
    let path = "/v1/services/billing/environments/dev";
    refused(&api, 404, api.get(path, &reader)).await;
    refused(&api, 422, api.put_json(path, &admin, json!({}))).await;
    refused(
        &api,
        422,
        api.put_json(path, &admin, json!({"database_url": url, "database_url_ref": "env:X"})),
    )
    .await;
    let p = refused(
        &api,
        422,
        api.put_json(
            path,
            &admin,
            json!({"database_url": format!("{url}?sslmode=sometimes")}),
        ),
    )
    .await;
    assert!(!p.to_string().contains(PASSWORD), "{p}");
    refused(
        &api,
        422,
        api.put_json(path, &admin, json!({"database_url_ref": "vault:x"})),
    )
    .await;
    refused(
        &api,
        422,
        api.put_json(path, &admin, json!({"database_url_ref": "file:relative"})),
    )
    .await;
    refused(
        &api,
        404,
        api.put_json(
            "/v1/services/billing/environments/moon",
            &admin,
            json!({"database_url": url}),
        ),
    )
    .await;
    refused(
        &api,
        404,
        api.put_json(
            "/v1/services/nothing/environments/dev",
            &admin,
            json!({"database_url": url}),
        ),
    )
    .await;
    refused(
        &api,
        403,
        api.put_json(path, &api.token(&[Role::Deployer]), json!({"database_url": url})),
    )
    .await;

    let r = api.put_json(path, &admin, json!({"database_url": url})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let b = r.json();
    assert_eq!(b["database"]["set"], true);
    assert_eq!(b["database"]["kind"], "encrypted");
    assert!(b["database"]["host"].as_str().unwrap().contains(':'), "{b}");
    let stored = api.store.existing_binding("billing", "dev").await.unwrap();
    assert!(!stored.secret.contains(PASSWORD), "the store holds the URL in clear");
    let r = api
        .put_json(
            path,
            &admin,
            json!({"database_url_ref": "env:SCHEMAREG_DB_BILLING_DEV_URL", "scope": {"presets": ["supabase"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["database"]["reference"], "SCHEMAREG_DB_BILLING_DEV_URL");
    assert_eq!(
        api.get(path, &reader).await.json()["scope"]["presets"],
        json!(["supabase"])
    );
    api.assert_no_secret_shown();
}
