//! The HTTP service's frame: health, readiness, problem documents, request ids, configuration,
//! and the committed OpenAPI document kept fresh.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use schemareg::config::Config;
use schemareg::state::AppState;
use tower::ServiceExt;

async fn state() -> AppState {
    AppState {
        config: Arc::new(Config::default()),
        scratch: Arc::new(schemareg_adapters::testing::scratch().await),
    }
}

async fn get(path: &str) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let app = schemareg::app::app(state().await);
    let res = app
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn health_readiness_and_unknown_paths() {
    let (status, headers, body) = get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert!(
        headers.get("x-request-id").is_some(),
        "every response carries a request id"
    );
    let (status, _, body) = get("/readyz").await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (status, headers, body) = get("/v1/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["status"], 404);
    assert_eq!(body["instance"], "/v1/nothing");
    assert!(body["detail"].as_str().unwrap().contains("/v1/nothing"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_committed_openapi_document_is_fresh_and_complete() {
    let generated = schemareg::app::openapi().to_pretty_json().unwrap();
    let committed = std::fs::read_to_string(common::repo().join("openapi/openapi.json")).unwrap();
    assert_eq!(
        committed.trim_end(),
        generated.trim_end(),
        "openapi/openapi.json is stale: run `make openapi`"
    );
    let (status, _, served) = get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, serde_json::from_str::<serde_json::Value>(&generated).unwrap());
    assert_eq!(served["openapi"], "3.1.0");
    for (path, item) in served["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for field in ["operationId", "summary", "tags", "responses"] {
                assert!(op.get(field).is_some(), "{method} {path} has no {field}");
            }
        }
    }
}

#[test]
fn configuration_defaults_file_and_environment() {
    let c = Config::default();
    assert_eq!(c.listen, "127.0.0.1:8080");
    assert!(c.store_url.starts_with("sqlite://"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schemareg.toml");
    std::fs::write(
        &file,
        "listen = \"0.0.0.0:9000\"\nscratch_url = \"postgres://u:s3cret@db/x\"\n",
    )
    .unwrap();
    let c = Config::load(Some(&file)).unwrap();
    assert_eq!(c.listen, "0.0.0.0:9000");
    assert!(!format!("{c:?}").contains("s3cret"), "{c:?}");
    std::fs::write(&file, "lissen = \"x\"\n").unwrap();
    let e = Config::load(Some(&file)).unwrap_err().to_string();
    assert!(e.contains("lissen"), "{e}");
    assert!(Config::load(Some(&dir.path().join("missing.toml"))).is_err());
}
