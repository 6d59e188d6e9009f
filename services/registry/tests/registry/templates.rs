//! `schemareg serve` prepares FROM once per fingerprint on its scratch server and verifies each
//! plan in a copy: the template lives while the registry runs, is dropped when it stops, and
//! one a killed registry left is dropped by the next registry that starts. So are the empty
//! databases it keeps ready for pushes.

use crate::served::{Served, call, call_raw};
use schemareg_adapters::testing::fixtures::loaded;
use schemareg_adapters::testing::{databases_like, roles_like};
use serde_json::json;

/// The registry's scratch databases of `prefix` apart from those it keeps ready for pushes
/// (`<prefix>ready_<hex>`), and how many of those there are.
async fn scratch_databases(prefix: &str) -> (Vec<String>, usize) {
    let all = databases_like(prefix).await;
    let ready = format!("{prefix}ready_");
    let (ready, others): (Vec<String>, Vec<String>) = all.into_iter().partition(|n| n.starts_with(&ready));
    (others, ready.len())
}

/// A plan for `shop` in dev, waited for; its state.
fn plan(base: &str) -> String {
    let (status, created) = call(
        base,
        "POST",
        "/v1/services/shop/environments/dev/plans",
        Some(&json!({})),
    );
    assert!(matches!(status, 201 | 202), "{status} {created}");
    let id = created["id"].as_str().unwrap().to_string();
    let mut plan = created;
    while plan["state"] == "computing" {
        std::thread::sleep(std::time::Duration::from_millis(100));
        plan = call(base, "GET", &format!("/v1/plans/{id}"), None).1;
    }
    plan["state"].as_str().unwrap().to_string()
}

/// A registry with its own scratch prefix, a service and dev bound to a live database.
async fn registry(prefix: &str, live: &schemareg_adapters::testing::TestDb) -> (Served, String) {
    let served = Served::start(&[("SCHEMAREG_SCRATCH_PREFIX", prefix)]).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    let (status, body) = call(&base, "POST", "/v1/services", Some(&json!({"name": "shop"})));
    assert!(matches!(status, 201 | 409), "{status} {body}");
    let (status, body) = call_raw(
        &base,
        "POST",
        "/v1/services/shop/versions",
        "application/sql",
        "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, note text);",
    );
    assert!(matches!(status, 200 | 201), "{status} {body}");
    let url = live.url_with_password("x");
    let (status, body) = call(
        &base,
        "PUT",
        "/v1/services/shop/environments/dev",
        Some(&json!({"database_url": url})),
    );
    assert!(matches!(status, 200 | 201), "{status} {body}");
    (served, base)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_template_is_kept_while_the_registry_runs_and_swept_after_a_kill() {
    let prefix = format!("tplsrv_{}_", schemareg_adapters::random_hex(4));
    let live = loaded("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);").await;

    let (served, base) = registry(&prefix, &live).await;
    assert_eq!(plan(&base), "approved");
    assert_eq!(plan(&base), "approved");
    let (kept, ready) = scratch_databases(&prefix).await;
    assert_eq!(kept.len(), 1, "one template for the two plans, no copy left: {kept:?}");
    assert!((1..=4).contains(&ready), "{ready} kept ready");
    // Stopped: the template goes with it, and those kept ready.
    drop(served);
    assert!(databases_like(&prefix).await.is_empty());
    assert!(roles_like(&prefix).await.is_empty());

    // Killed: the template stays, until the next registry starts.
    let (served, base) = registry(&prefix, &live).await;
    assert_eq!(plan(&base), "approved");
    let left = databases_like(&prefix).await;
    assert_eq!(scratch_databases(&prefix).await.0.len(), 1, "{left:?}");
    served.kill();
    assert_eq!(databases_like(&prefix).await, left);
    let other = format!("tplsrv_{}_", schemareg_adapters::random_hex(4));
    let (served, _) = registry(&other, &live).await;
    assert!(databases_like(&prefix).await.is_empty(), "swept at start");
    assert!(roles_like(&prefix).await.is_empty());
    drop(served);
    assert!(databases_like(&other).await.is_empty());
}
