//! When a dependency does not answer (the scratch server, the store) or a request takes too
//! long: 503 with a problem body that says which, nothing half-written, no scratch database
//! left behind.

use std::time::Duration;

use crate::http::{Api, Backend};
use schemareg::auth::Role;
use schemareg_adapters::scratch::ScratchServer;
use schemareg_adapters::testing::databases_like;
use serde_json::json;

on_both_stores!(scratch_server_down, store_down, a_request_that_takes_too_long);

async fn scratch_server_down(backend: Backend) {
    let (url, proxy) = crate::served::proxy().await;
    let scratch = ScratchServer::connect(&url).await.unwrap();
    let api = Api::with_scratch(backend, scratch, |_| {}).await;
    api.service("billing").await;
    proxy.abort();
    let _ = proxy.await;
    let before = api.contents().await;
    let p = api
        .push(
            "billing",
            &api.token(&[Role::Publisher]),
            "application/sql",
            "CREATE TABLE t (id int);",
        )
        .await
        .problem(503);
    assert!(p["detail"].as_str().unwrap().contains("scratch server"), "{p}");
    assert_eq!(api.contents().await, before);
    let ready = api
        .request(axum::http::Method::GET, "/readyz", None, &[], "")
        .await
        .problem(503);
    assert!(ready["detail"].as_str().unwrap().contains("scratch"), "{ready}");
}

async fn store_down(backend: Backend) {
    let api = Api::new(backend).await;
    let reader = api.token(&[Role::Reader]);
    api.store.close().await;
    let p = api.get("/v1/services", &reader).await.problem(503);
    assert!(p["detail"].as_str().unwrap().contains("store"), "{p}");
    api.post_json("/v1/services", &api.admin(), json!({"name": "x"}))
        .await
        .problem(503);
}

async fn a_request_that_takes_too_long(backend: Backend) {
    let prefix = format!("unavailable_{}_", schemareg_adapters::random_hex(3));
    let scratch = schemareg_adapters::testing::scratch()
        .await
        .with_prefix(&prefix)
        .unwrap();
    let api = Api::with_scratch(backend, scratch, |c| c.request_timeout_secs = 1).await;
    api.service("billing").await;
    let before = api.contents().await;
    let slow = "CREATE TABLE t (id int);\nSELECT pg_sleep(5);\n";
    let p = api
        .push("billing", &api.token(&[Role::Publisher]), "application/sql", slow)
        .await
        .problem(503);
    assert!(p["detail"].as_str().unwrap().contains("longer"), "{p}");
    assert_eq!(api.contents().await, before);
    // The abandoned ingest's scratch database is dropped.
    let mut left = Vec::new();
    for _ in 0..100 {
        left = databases_like(&prefix).await;
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, Vec::<String>::new(), "scratch databases left behind");
}
