//! Services over HTTP: created, read and listed page by page, and each way a creation is
//! refused.

use crate::http::{Api, Backend};
use axum::http::{Method, StatusCode};
use schemareg::auth::Role;
use serde_json::json;

use super::refused;

on_both_stores!(services);

async fn services(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let publisher = api.token(&[Role::Publisher]);
    let reader = api.token(&[Role::Reader]);
    let body = json!({"name": "billing", "owners": ["team-payments"], "scope": {"presets": ["supabase"]}});
    let r = api.post_json("/v1/services", &publisher, body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.headers["location"], "/v1/services/billing");
    assert_eq!(r.json()["scope"]["presets"], json!(["supabase"]));
    assert_eq!(r.json()["created_by"], "tester");

    let p = refused(&api, 409, api.post_json("/v1/services", &admin, body.clone())).await;
    assert!(p["detail"].as_str().unwrap().contains("billing"));
    refused(&api, 403, api.post_json("/v1/services", &reader, json!({"name": "x"}))).await;
    refused(
        &api,
        401,
        api.request(
            Method::POST,
            "/v1/services",
            None,
            &[("content-type", "application/json")],
            "{}",
        ),
    )
    .await;
    refused(
        &api,
        400,
        api.request(
            Method::POST,
            "/v1/services",
            Some(&admin),
            &[("content-type", "application/json")],
            "{",
        ),
    )
    .await;
    refused(
        &api,
        415,
        api.request(
            Method::POST,
            "/v1/services",
            Some(&admin),
            &[("content-type", "text/plain")],
            "x",
        ),
    )
    .await;
    let p = refused(
        &api,
        422,
        api.post_json("/v1/services", &admin, json!({"name": "Bad Name"})),
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "name");
    refused(
        &api,
        422,
        api.post_json(
            "/v1/services",
            &admin,
            json!({"name": "ok", "scope": {"presets": ["nope"]}}),
        ),
    )
    .await;
    refused(
        &api,
        422,
        api.post_json("/v1/services", &admin, json!({"name": "ok", "extra": 1})),
    )
    .await;
    let big = json!({"name": "big", "description": "x".repeat(2 * 1024 * 1024)});
    refused(&api, 413, api.post_json("/v1/services", &admin, big)).await;

    assert_eq!(
        api.get("/v1/services/billing", &reader).await.json()["owners"],
        json!(["team-payments"])
    );
    refused(&api, 404, api.get("/v1/services/nothing", &reader)).await;
    for name in ["alpha", "gamma", "zeta"] {
        api.service(name).await;
    }
    let page = api.get("/v1/services?limit=2", &reader).await.json();
    let names: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names, [json!("alpha"), json!("billing")]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let page = api
        .get(&format!("/v1/services?limit=2&cursor={cursor}"), &reader)
        .await
        .json();
    let names: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names, [json!("gamma"), json!("zeta")]);
    refused(&api, 400, api.get("/v1/services?limit=0", &reader)).await;
    refused(&api, 400, api.get("/v1/services?cursor=%21%21", &reader)).await;
    api.assert_no_secret_shown();
}
