//! `schemareg store backup` and `schemareg store restore`, on both stores: a backup taken while
//! the registry serves, restored into a new store, serves the same versions and plans (digests
//! equal); restoring over a store that is there is refused.

use std::process::{Command, Output};

use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

use crate::common::stderr;
use crate::served::{Served, call, call_raw, shop};

fn store_cli(store_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemareg"))
        .arg("store")
        .args(args)
        .env("SCHEMAREG_STORE_URL", store_url)
        .env_remove("SCHEMAREG_CONFIG")
        .output()
        .unwrap()
}

/// What a registry serves of `shop`: its versions (number and digest) and its plan.
fn served_state(base: &str, plan: &str) -> (Value, Value) {
    let (_, versions) = call(base, "GET", "/v1/services/shop/versions?limit=100", None);
    let versions: Vec<Value> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| json!([v["number"], v["digest"]]))
        .collect();
    let (_, p) = call(base, "GET", &format!("/v1/plans/{plan}"), None);
    (
        json!(versions),
        json!([p["state"], p["plan_digest"], p["to_digest"], p["sql"]]),
    )
}

async fn round_trip(store_url: &str, restored_url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("store.backup");
    let target = TestDb::new().await;
    let (before, plan) = {
        let served = Served::start(&[("SCHEMAREG_STORE_URL", store_url), ("SCHEMAREG_DRIFT_WATCH", "false")]).await;
        let base = served.base();
        shop(&base, Some("CREATE TABLE items (id bigint PRIMARY KEY);"));
        let ddl = "CREATE TABLE items (id bigint PRIMARY KEY, note text);";
        assert_eq!(
            call_raw(&base, "POST", "/v1/services/shop/versions", "application/sql", ddl).0,
            201
        );
        let path = "/v1/services/shop/environments/dev";
        assert_eq!(
            call(&base, "PUT", path, Some(&json!({"database_url": target.url()}))).0,
            201
        );
        let (status, plan) = call(&base, "POST", &format!("{path}/plans"), Some(&json!({})));
        assert!(status == 201 || status == 202, "{plan}");
        let plan = plan["id"].as_str().unwrap().to_string();
        for _ in 0..300 {
            if call(&base, "GET", &format!("/v1/plans/{plan}"), None).1["state"] != "computing" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        // Taken while the registry serves.
        let out = store_cli(store_url, &["backup", backup.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        (served_state(&base, &plan), plan)
    };
    let again = store_cli(store_url, &["backup", backup.to_str().unwrap()]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "a backup never overwrites: {}",
        stderr(&again)
    );

    let out = store_cli(restored_url, &["restore", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let over = store_cli(restored_url, &["restore", backup.to_str().unwrap()]);
    assert_eq!(over.status.code(), Some(2), "{}", stderr(&over));
    assert!(
        stderr(&over).contains("restore into a new store file")
            || stderr(&over).contains("restore into an empty database"),
        "{}",
        stderr(&over)
    );
    let restored = Served::start(&[
        ("SCHEMAREG_STORE_URL", restored_url),
        ("SCHEMAREG_DRIFT_WATCH", "false"),
    ])
    .await;
    let after = served_state(&restored.base(), &plan);
    assert_eq!(after, before);
    assert_eq!(before.0.as_array().unwrap().len(), 2, "{before:?}");
    assert_eq!(before.1[0], "approved", "{before:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_store_backed_up_while_serving_is_restored_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}/store.db", dir.path().display());
    let restored = format!("sqlite://{}/restored/store.db", dir.path().display());
    round_trip(&store, &restored).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_store_backed_up_while_serving_is_restored_whole() {
    let (store, restored) = (TestDb::new().await, TestDb::new().await);
    round_trip(&store.url(), &restored.url()).await;
}
