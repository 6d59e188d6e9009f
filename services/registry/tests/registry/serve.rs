//! The HTTP service's frame: health, readiness, problem documents, request ids, configuration,
//! and the committed OpenAPI document kept fresh.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use schemareg::config::Config;
use schemareg::state::AppState;
use tower::ServiceExt;

async fn state() -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        store_url: format!("sqlite://{}/store.db", dir.path().display()),
        data_dir: dir.path().display().to_string(),
        ..Config::default()
    };
    let state = AppState::new(config, schemareg_adapters::testing::scratch().await)
        .await
        .unwrap();
    (state, dir)
}

async fn get(path: &str) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let (state, _dir) = state().await;
    let app = schemareg::app::app(state);
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
async fn metrics_count_requests_by_route_template() {
    let (state, _dir) = state().await;
    let app = schemareg::app::app(state);
    for path in ["/healthz", "/healthz", "/v1/services/secret-name", "/nowhere/at/all"] {
        app.clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
    }
    let res = app
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = String::from_utf8(axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    let line = |route: &str, status: u16| {
        format!("schemareg_http_requests_total{{method=\"GET\",route=\"{route}\",status=\"{status}\"}}")
    };
    assert!(text.contains(&format!("{} 2", line("/healthz", 200))), "{text}");
    assert!(text.contains(&line("/v1/services/{service}", 401)), "{text}");
    assert!(text.contains(&line("unmatched", 404)), "{text}");
    assert!(
        text.contains("schemareg_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        !text.contains("secret-name"),
        "paths' names never become labels: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn interactive_docs_are_served_without_internet() {
    let (state, _dir) = state().await;
    let app = schemareg::app::app(state);
    let page = app
        .clone()
        .oneshot(Request::get("/docs/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = String::from_utf8(axum::body::to_bytes(page.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "the docs page loads nothing from the internet: {html}"
    );
    for asset in [
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
        "/docs/swagger-initializer.js",
    ] {
        let res = app
            .clone()
            .oneshot(Request::get(asset).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
        let body = axum::body::to_bytes(res.into_body(), 16 << 20).await.unwrap();
        if asset.ends_with("initializer.js") {
            assert!(
                String::from_utf8_lossy(&body).contains("/openapi.json"),
                "the docs read our document"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_committed_openapi_document_is_fresh_and_complete() {
    let generated = schemareg::app::openapi().to_pretty_json().unwrap();
    let committed = std::fs::read_to_string(crate::common::repo().join("openapi/openapi.json")).unwrap();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi/openapi.json is stale: run `make openapi`"
    );
    let (status, _, served) = get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, serde_json::from_str::<serde_json::Value>(&generated).unwrap());
    assert_eq!(served["openapi"], "3.1.0");
    let schemas = &served["components"]["schemas"];
    // An example is in the content itself or in the component schema it names.
    let has_example = |content: &serde_json::Value| {
        content.get("example").is_some()
            || content["schema"]["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .is_some_and(|name| schemas[name].get("example").is_some())
    };
    let mut operations = 0;
    for (path, item) in served["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            for field in ["operationId", "summary", "tags", "responses"] {
                assert!(op.get(field).is_some(), "{method} {path} has no {field}");
            }
            let mut examples = 0;
            for (code, response) in op["responses"].as_object().unwrap() {
                if code == "304" {
                    continue; // Not Modified has no body.
                }
                let content = response["content"].as_object();
                assert!(content.is_some(), "{method} {path} {code} has no typed body");
                for (media, c) in content.unwrap() {
                    assert!(
                        c.get("schema").is_some(),
                        "{method} {path} {code} {media} has no schema"
                    );
                    examples += usize::from(has_example(c));
                }
            }
            for c in op["requestBody"]["content"].as_object().into_iter().flatten() {
                examples += usize::from(has_example(c.1));
            }
            assert!(examples > 0, "{method} {path} has no example");
            if path.starts_with("/v1/") {
                // Every token-guarded operation may meet a bad token, a missing role, a store down.
                for status in ["401", "403", "503"] {
                    assert!(
                        op["responses"].get(status).is_some(),
                        "{method} {path} does not say it may be {status}"
                    );
                }
                assert_eq!(op["security"][0]["bearer"], serde_json::json!([]), "{method} {path}");
            }
        }
    }
    assert!(operations >= 17, "{operations} operations");
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

/// The committed document is valid OpenAPI 3.1: checked against the OpenAPI Initiative's JSON
/// Schema for 3.1 (`tests/fixtures/openapi-3.1-schema.json`, the 2022-10-07 release, Apache-2.0).
#[test]
fn the_openapi_document_passes_the_openapi_3_1_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(crate::common::fixture("openapi-3.1-schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(crate::common::repo().join("openapi/openapi.json")).unwrap())
            .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "openapi/openapi.json is not valid OpenAPI 3.1:\n{}",
        errors.join("\n")
    );
    // The check can fail: a response without its description, an unknown parameter location.
    let mut broken = doc.clone();
    broken["paths"]["/healthz"]["get"]["responses"]["200"]
        .as_object_mut()
        .unwrap()
        .remove("description");
    assert!(!validator.is_valid(&broken));
    let mut broken = doc.clone();
    broken["paths"]["/v1/services/{service}"]["get"]["parameters"][0]["in"] = serde_json::json!("body");
    assert!(!validator.is_valid(&broken));
}
