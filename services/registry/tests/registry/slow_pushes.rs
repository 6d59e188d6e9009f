//! A push that takes longer than five seconds answers 202 with `Location` and goes on in the
//! background; `/v1/pushes/{id}` says when it is done (its version) or failed (the problem it
//! met), only to tokens that may see its service; `schemareg push` waits for it. DDL pushed
//! again is answered with its version without running it again.

use std::process::Command;
use std::time::{Duration, Instant};

use schemareg::auth::Role;
use serde_json::{Value, json};

use crate::served::{Served, call, call_as, call_raw, scoped_token, token};

/// DDL that takes `secs` seconds to run in a scratch database.
fn slow(secs: u32, ddl: &str) -> String {
    format!("SELECT pg_sleep({secs});\n{ddl}\n")
}

/// The push at `location`, read until it is no longer building.
async fn settled(base: &str, location: &str) -> Value {
    for _ in 0..600 {
        let (status, push) = call(base, "GET", location, None);
        assert_eq!(status, 200, "{push}");
        if push["state"] != "building" {
            return push;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("push {location} still building after a minute");
}

/// A push of DDL: its status, body and `Location`.
fn push(base: &str, service: &str, ddl: &str) -> (u16, Value, String) {
    let out = Command::new("curl")
        .args(["-s", "-D", "-", "-X", "POST", "-H"])
        .arg(format!("Authorization: Bearer {}", token()))
        .args(["-H", "Content-Type: application/sql", "--data-binary", ddl])
        .arg(format!("{base}/v1/services/{service}/versions"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let location = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("location: ")
                .map(|_| l[10..].trim().to_string())
        })
        .unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null), location)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_longer_than_five_seconds_goes_on_in_the_background() {
    let served = Served::start(&[("SCHEMAREG_PUSH_WAIT_SECS", "5")]).await;
    let base = served.base();
    for name in ["shop", "other"] {
        let (status, body) = call(&base, "POST", "/v1/services", Some(&json!({"name": name})));
        assert_eq!(status, 201, "{body}");
    }

    // Accepted after five seconds, done after the sleep.
    let started = Instant::now();
    let (status, accepted, location) = push(&base, "shop", &slow(7, "CREATE TABLE items (id bigint PRIMARY KEY);"));
    let waited = started.elapsed();
    assert_eq!(status, 202, "{accepted}");
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(7),
        "{waited:?}"
    );
    assert_eq!(accepted["state"], "building");
    assert_eq!(location, format!("/v1/pushes/{}", accepted["id"].as_str().unwrap()));
    let done = settled(&base, &location).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["version"], 1);
    assert_eq!(done["created"], true);
    assert_eq!(done["location"], "/v1/services/shop/versions/1");
    let (status, version) = call(&base, "GET", "/v1/services/shop/versions/1", None);
    assert_eq!(status, 200, "{version}");
    // The audit log has the version as any push's.
    let (_, audit) = call(&base, "GET", "/v1/audit?action=version.push", None);
    assert!(audit.to_string().contains("\"shop\""), "{audit}");

    // One that fails says why, as the push would have.
    let (status, accepted, location) = push(&base, "shop", &slow(6, "CREATE TABLE bad (x no_such_type);"));
    assert_eq!(status, 202, "{accepted}");
    let failed = settled(&base, &location).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    assert_eq!(failed["problem"]["status"], 422, "{failed}");
    assert!(
        failed["problem"]["detail"].as_str().unwrap().contains("no_such_type"),
        "{failed}"
    );
    assert_eq!(failed["version"], Value::Null);

    // Another service's token does not see it; an unknown id is a 404.
    let theirs = scoped_token("theirs", &[Role::Reader], &["other"]);
    assert_eq!(call_as(&theirs, &base, "GET", &location, None).0, 404);
    assert_eq!(call(&base, "GET", "/v1/pushes/push_0000000000000000", None).0, 404);

    // The client waits for it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("slow.sql");
    std::fs::write(&file, slow(6, "CREATE TABLE items (id bigint PRIMARY KEY, name text);")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_schemareg"))
        .args(["push", "shop"])
        .arg(&file)
        .args(["--json"])
        .env("SCHEMAREG_URL", &base)
        .env("SCHEMAREG_TOKEN", token())
        .env_remove("SCHEMAREG_SCRATCH_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("in the background"), "{stderr}");
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (printed["number"].clone(), printed["created"].clone()),
        (json!(2), json!(true))
    );

    // The same DDL pushed again (a pipeline pushes on every build) is not run again: its
    // version at once.
    let started = Instant::now();
    let (status, again, _) = push(&base, "shop", &slow(7, "CREATE TABLE items (id bigint PRIMARY KEY);"));
    assert_eq!((status, again["number"].clone()), (200, json!(1)), "{again}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());

    // A quick push still answers at once, as before.
    let (status, body) = call_raw(
        &base,
        "POST",
        "/v1/services/other/versions",
        "application/sql",
        "CREATE TABLE t (a int);",
    );
    assert_eq!(status, 201, "{body}");
}

/// A registry that stops while it builds a push in the background marks it failed as it
/// goes, so that whoever waits on it learns at once (from any registry on the store) that it
/// must push again, instead of when its lease runs out.
#[tokio::test(flavor = "multi_thread")]
async fn a_push_left_building_by_a_stopping_registry_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}/store.db", dir.path().display());
    let settings = [
        ("SCHEMAREG_PUSH_WAIT_SECS", "1"),
        ("SCHEMAREG_STORE_URL", store.as_str()),
    ];
    let mut first = Served::start(&settings).await;
    let base = first.base();
    let (status, body) = call(&base, "POST", "/v1/services", Some(&json!({"name": "shop"})));
    assert_eq!(status, 201, "{body}");
    let (status, accepted, location) = push(&base, "shop", &slow(8, "CREATE TABLE items (id bigint PRIMARY KEY);"));
    assert_eq!(status, 202, "{accepted}");
    first.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(first.exited(Duration::from_secs(20)).await, Some(0), "{}", first.log());

    let second = Served::start(&[("SCHEMAREG_STORE_URL", store.as_str())]).await;
    let (status, push) = call(&second.base(), "GET", &location, None);
    assert_eq!(status, 200, "{push}");
    assert_eq!(push["state"], "failed", "{push}");
    assert_eq!(push["problem"]["status"], 503, "{push}");
    assert!(
        push["problem"]["detail"].as_str().unwrap().contains("push again"),
        "{push}"
    );
}
