//! Drift watched on a schedule, on the real binary: a database changed by hand is reported
//! within one interval (plus its jitter and the watch's tick), audited as `drift.detected`,
//! and `drift.resolved` once undone; `GET …/drift` answers the last observation and reads
//! again only with `?refresh=true`; a database that cannot be reached is `unknown` with why
//! (never in sync, and never its URL); the gauges follow.

use std::process::Command;
use std::time::{Duration, Instant};

use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

use crate::common::free_port;
use crate::served::{Served, bind_dev, call, shop};

/// Sets an environment's drift interval (the rest of its policy as it is).
fn watch_every(base: &str, environment: &str, interval: &str) {
    crate::served::set_policy(base, environment, "drift_interval", json!(interval));
}

fn placement(base: &str, environment: &str) -> Value {
    let (_, overview) = call(base, "GET", "/v1/overview", None);
    overview["services"][0]["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["environment"] == environment)
        .cloned()
        .unwrap()
}

/// Waits until the environment's drift state is `state`; how long it took.
async fn until_state(base: &str, environment: &str, state: &str, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let p = placement(base, environment);
        if p["drift_state"] == state {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{environment} is not {state} after {within:?}: {p}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn audited(base: &str) -> Vec<String> {
    let (_, log) = call(base, "GET", "/v1/audit?service=shop&limit=100", None);
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("drift."))
        .map(|e| {
            format!(
                "{} {}",
                e["action"].as_str().unwrap(),
                e["environment"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_by_hand_is_seen_within_an_interval_and_its_undoing_too() {
    let served = Served::start(&[("SCHEMAREG_DRIFT_TIMEOUT_SECS", "5")]).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    let ddl = "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);";
    shop(&base, Some(ddl));
    for env in ["dev", "staging"] {
        watch_every(&base, env, "2s");
    }
    let db = TestDb::new().await;
    db.execute(ddl).await;
    bind_dev(&base, &db.url());
    // Bound and never checked: the first check comes within an interval.
    until_state(&base, "dev", "in_sync", Duration::from_secs(6)).await;
    assert_eq!(placement(&base, "dev")["verified_version"], 1);

    // By hand: a column added. Seen within 2 s + a tenth + the 1 s tick (and the check itself).
    db.execute("ALTER TABLE items ADD COLUMN note text").await;
    let took = until_state(&base, "dev", "drifted", Duration::from_secs(10)).await;
    assert!(took < Duration::from_secs(5), "reported after {took:?}");
    let p = placement(&base, "dev");
    assert_eq!(p["drift_changed_objects"], 1, "{p}");
    let (_, drift) = call(&base, "GET", "/v1/services/shop/environments/dev/drift", None);
    assert_eq!(drift["state"], "drifted");
    assert!(
        drift["sql"].as_str().unwrap().contains("DROP COLUMN \"note\""),
        "{drift}"
    );
    assert_eq!(
        drift["read_at"], p["drift_checked_at"],
        "the last observation, not a new read"
    );
    let (_, refreshed) = call(
        &base,
        "GET",
        "/v1/services/shop/environments/dev/drift?refresh=true",
        None,
    );
    assert_eq!(refreshed["state"], "drifted");
    assert!(refreshed["read_at"].as_str() >= drift["read_at"].as_str());
    let (_, metrics) = {
        let out = Command::new("curl")
            .arg("-s")
            .arg(format!("{base}/metrics"))
            .output()
            .unwrap();
        (0, String::from_utf8_lossy(&out.stdout).to_string())
    };
    assert!(
        metrics.contains("schemareg_drift_changed_objects{service=\"shop\",environment=\"dev\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("schemareg_drift_last_success_age_seconds{service=\"shop\",environment=\"dev\"}"));

    // Undone by hand: resolved within an interval.
    db.execute("ALTER TABLE items DROP COLUMN note").await;
    until_state(&base, "dev", "in_sync", Duration::from_secs(10)).await;

    // A database that cannot be reached: unknown, with why, and no password anywhere.
    let nowhere = format!("postgres://watcher:s3cret-pw@127.0.0.1:{}/gone", free_port());
    let (status, _) = call(
        &base,
        "PUT",
        "/v1/services/shop/environments/staging",
        Some(&json!({"database_url": nowhere})),
    );
    assert_eq!(status, 201);
    until_state(&base, "staging", "unknown", Duration::from_secs(10)).await;
    let (status, drift) = call(&base, "GET", "/v1/services/shop/environments/staging/drift", None);
    assert_eq!(status, 200, "{drift}");
    assert_eq!(drift["state"], "unknown");
    assert!(drift["reason"].as_str().unwrap().contains("does not answer"), "{drift}");
    assert_eq!(drift["live_fingerprint"], Value::Null);
    let p = placement(&base, "staging");
    assert!(p["drift_reason"].as_str().is_some(), "{p}");
    let (_, everything) = call(&base, "GET", "/v1/overview", None);
    let (_, log) = call(&base, "GET", "/v1/audit?limit=100", None);
    for text in [everything.to_string(), log.to_string(), drift.to_string()] {
        assert!(!text.contains("s3cret-pw"), "{text}");
    }

    assert_eq!(
        audited(&base),
        ["drift.detected dev", "drift.resolved dev", "drift.unknown staging"]
    );
}

/// The registry's connections to a database (its `application_name`), by process id.
async fn registry_connections(db: &TestDb) -> Vec<i32> {
    db.client()
        .await
        .query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND application_name = 'schemareg' AND pid <> pg_backend_pid() ORDER BY pid",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_watch_reads_through_a_few_connections_that_a_new_url_replaces() {
    let served = Served::start(&[("SCHEMAREG_TARGET_SERVER_CONNECTIONS", "2")]).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    let ddl = "CREATE TABLE items (id bigint PRIMARY KEY);";
    shop(&base, Some(ddl));
    watch_every(&base, "dev", "1s");
    let db = TestDb::new().await;
    db.execute(ddl).await;
    let bind = |url: String| {
        let base = base.clone();
        move || {
            call(
                &base,
                "PUT",
                "/v1/services/shop/environments/dev",
                Some(&json!({"database_url": url})),
            )
        }
    };
    assert_eq!(bind(db.url())().0, 201);
    until_state(&base, "dev", "in_sync", Duration::from_secs(10)).await;

    // Checked every second for five seconds: through the same connections all along.
    let first_check = placement(&base, "dev")["drift_checked_at"].clone();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..10 {
        seen.extend(registry_connections(&db).await);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let last_check = placement(&base, "dev")["drift_checked_at"].clone();
    assert_ne!(first_check, last_check, "the watch went on checking");
    assert!(
        !seen.is_empty() && seen.len() <= 2,
        "at most the budget's two connections, kept: {seen:?}"
    );

    // Bound again to another URL (the same database with a password): new connections, and
    // the old ones closed.
    assert_eq!(bind(db.url_with_password("another-pw"))().0, 200, "replaced");
    let replaced = placement(&base, "dev")["drift_checked_at"].clone();
    // Waited for a check after the rebinding (however loaded the machine), then for the old
    // connections to go.
    let mut now = Vec::new();
    for _ in 0..300 {
        let checked = placement(&base, "dev")["drift_checked_at"].clone();
        now = registry_connections(&db).await;
        if checked != replaced && !now.is_empty() && now.iter().all(|pid| !seen.contains(pid)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(placement(&base, "dev")["drift_state"], "in_sync", "checked again");
    assert!(!now.is_empty(), "the watch reads the database again");
    assert!(now.iter().all(|pid| !seen.contains(pid)), "old {seen:?}, now {now:?}");
}

/// A drift's script is planned as a plan of the live database would be: with the sizes of the
/// tables it rewrites, read from that database. NOT NULL on a table of more than 100,000 rows
/// is proven by a check first (three steps, the size in the hazard); planned without the
/// size, it would be one ALTER that scans the table under its lock.
#[tokio::test(flavor = "multi_thread")]
async fn a_drift_script_is_planned_with_the_sizes_of_the_tables_it_rewrites() {
    let served = Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    let base = served.base();
    shop(&base, Some("CREATE TABLE big (id int NOT NULL, note text);"));
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE big (id int, note text); \
         INSERT INTO big SELECT g, 'x' FROM generate_series(1, 100001) g; ANALYZE big;",
    )
    .await;
    bind_dev(&base, &db.url());
    let (status, drift) = call(
        &base,
        "GET",
        "/v1/services/shop/environments/dev/drift?refresh=true",
        None,
    );
    assert_eq!(status, 200, "{drift}");
    assert_eq!(drift["state"], "drifted", "{drift}");
    let sql = drift["sql"].as_str().unwrap();
    assert!(
        sql.contains("NOT VALID") && sql.contains("VALIDATE CONSTRAINT"),
        "{sql}"
    );
    assert!(sql.contains("public.big (≈100.0 k rows"), "{sql}");
}
