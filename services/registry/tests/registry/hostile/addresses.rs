//! No answer names where a database is or as whom the registry connects (issue 31, item 6):
//! a drift reason, a failed plan and the overview said `postgres://user@host:port/db` to any
//! reader, and `/readyz`, which needs no token, said the scratch server's URL when it was
//! down. They name the binding (`shop` in `dev`) and the kind of failure; the rest goes to
//! the log.

use crate::served::{Served, bind_dev, call, computed, proxy, shop};
use serde_json::{Value, json};

/// What an answer about these databases must not hold.
fn assert_no_address(what: &str, answer: &Value, forbidden: &[&str]) {
    let text = answer.to_string();
    for f in forbidden {
        assert!(!text.contains(f), "{what} says {f:?}: {answer}");
    }
}

#[tokio::test]
async fn answers_name_the_binding_and_the_failure_never_the_address() {
    let served = Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    let base = served.base();
    shop(&base, Some("CREATE TABLE items (id bigint PRIMARY KEY);"));
    // Port 1 refuses connections.
    bind_dev(&base, "postgres://shop_owner:hunter2@127.0.0.1:1/shop_live");
    let forbidden = ["postgres://", "shop_owner", "hunter2", "127.0.0.1:1", "shop_live"];

    let (status, drift) = call(
        &base,
        "GET",
        "/v1/services/shop/environments/dev/drift?refresh=true",
        None,
    );
    assert_eq!(status, 503, "{drift}");
    assert_no_address("the drift check", &drift, &forbidden);
    let detail = drift["detail"].as_str().unwrap();
    assert!(
        detail.contains("shop in dev") && detail.contains("refused"),
        "the answer names the binding and the failure: {detail}"
    );
    let (_, drift) = call(&base, "GET", "/v1/services/shop/environments/dev/drift", None);
    assert_no_address("the drift watch's record", &drift, &forbidden);

    let (status, plan) = call(
        &base,
        "POST",
        "/v1/services/shop/environments/dev/plans",
        Some(&json!({})),
    );
    assert!(matches!(status, 201 | 202), "{plan}");
    let plan = computed(&base, plan["id"].as_str().unwrap()).await;
    assert_eq!(plan["state"], "failed", "{plan}");
    assert_no_address("the failed plan", &plan, &forbidden);
    assert!(plan["error"].as_str().unwrap().contains("shop in dev"), "{plan}");

    let (_, overview) = call(&base, "GET", "/v1/overview", None);
    let dev = &overview["services"][0]["environments"][0];
    assert_eq!(dev["drift_state"], "unknown", "{overview}");
    assert_no_address("the overview's drift reason", &dev["drift_reason"], &forbidden);
}

#[tokio::test]
async fn readyz_says_the_scratch_server_is_down_not_where_it_is() {
    let (url, proxy) = proxy().await;
    let served = Served::start(&[("SCHEMAREG_SCRATCH_URL", url.as_str())]).await;
    proxy.abort();
    let _ = proxy.await;
    let port = url.rsplit_once(':').unwrap().1.split('/').next().unwrap().to_string();
    let out = std::process::Command::new("curl")
        .args(["-s", &format!("{}/readyz", served.base())])
        .output()
        .unwrap();
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["status"], 503, "{answer}");
    let user = url
        .split_once("://")
        .unwrap()
        .1
        .split(['@', ':'])
        .next()
        .unwrap()
        .to_string();
    assert_no_address(
        "/readyz",
        &answer,
        &["postgres://", &format!("127.0.0.1:{port}"), &format!("{user}@")],
    );
    assert!(
        answer["detail"].as_str().unwrap().contains("scratch server"),
        "{answer}"
    );
}
