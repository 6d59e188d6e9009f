//! Three `schemareg serve` processes on one PostgreSQL store, on three loopback ports: they
//! start together (the store's migrations run once), 30 pushes at once spread over them give
//! one version per content, 10 applies at once of one approved plan spread over them run it
//! once, and when the replica applying a plan is killed another marks the plan failed once its
//! lease runs out and applies the next plan to the same database. (SIGTERM's drain is in
//! `stopping.rs`.)

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use nix::sys::signal::Signal;
use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

use crate::served::{Served, call, call_raw, settled, shop};

const SECRET_KEY: &str = "c2NoZW1hcmVnLXRlc3Qtc2VjcmV0LWtleS0zMmJ5dGU=";

/// A dev plan to the latest version, computed (dev needs no approval); its id.
async fn approved_plan(base: &str) -> String {
    let (status, plan) = call(
        base,
        "POST",
        "/v1/services/shop/environments/dev/plans",
        Some(&json!({})),
    );
    assert!(status == 201 || status == 202, "{plan}");
    let id = plan["id"].as_str().unwrap().to_string();
    assert_eq!(settled(base, &id, Duration::from_secs(60)).await["state"], "approved");
    id
}

/// Applies plan `id` through `base` while `holder` keeps its table locked: the apply waits
/// (seen as `applying` from `other`); the request, running.
async fn blocked_apply(
    holder: &tokio_postgres::Client,
    base: &str,
    other: &str,
    id: &str,
) -> std::thread::JoinHandle<(u16, Value)> {
    holder
        .batch_execute("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let applier = std::thread::spawn({
        let (base, id) = (base.to_string(), id.to_string());
        move || call(&base, "POST", &format!("/v1/plans/{id}/apply"), None)
    });
    for _ in 0..100 {
        let (_, plan) = call(other, "GET", &format!("/v1/plans/{id}"), None);
        if plan["state"] == "applying" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // And its statement waits on the lock (the plan is `applying` a moment before its work,
    // and the lease this test is about, starts).
    for _ in 0..100 {
        // (Inside the holder's transaction the activity view is a snapshot until cleared.)
        holder.batch_execute("SELECT pg_stat_clear_snapshot()").await.unwrap();
        let waiting: i64 = holder
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    applier
}

fn push(base: &str, ddl: &str) -> (u16, Value) {
    call_raw(base, "POST", "/v1/services/shop/versions", "application/sql", ddl)
}

#[tokio::test(flavor = "multi_thread")]
async fn three_replicas_share_one_store_and_take_over_from_a_killed_one() {
    let store = TestDb::new().await;
    let url = store.url();
    let settings = [
        ("SCHEMAREG_STORE_URL", url.as_str()),
        ("SCHEMAREG_SECRET_KEY", SECRET_KEY),
        ("SCHEMAREG_LEASE_SECS", "3"),
        ("SCHEMAREG_DRIFT_WATCH", "false"),
    ];
    // Started together: each migrates the empty store, under the migrator's advisory lock.
    let (a, b, mut c) = tokio::join!(
        Served::start(&settings),
        Served::start(&settings),
        Served::start(&settings)
    );
    let bases = [a.base(), b.base(), c.base()];
    for base in &bases {
        assert_eq!(call(base, "GET", "/healthz", None).0, 200);
    }
    let migrations: i64 = store
        .client()
        .await
        .query_one("SELECT count(*) FROM _sqlx_migrations WHERE success", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(migrations, schemareg_adapters::store::Store::schema_version());

    // 30 pushes at once, ten contents three times each, spread over the three.
    shop(&bases[0], None);
    let pushes: Vec<_> = (0..30)
        .map(|i| {
            let base = bases[i % 3].clone();
            std::thread::spawn(move || {
                let content = i % 10;
                (
                    content,
                    push(&base, &format!("CREATE TABLE t{content} (id bigint PRIMARY KEY);")),
                )
            })
        })
        .collect();
    let mut by_content: BTreeMap<usize, Vec<(u16, i64)>> = BTreeMap::new();
    for p in pushes {
        let (content, (status, body)) = p.join().unwrap();
        assert!(status == 200 || status == 201, "{body}");
        by_content
            .entry(content)
            .or_default()
            .push((status, body["number"].as_i64().unwrap()));
    }
    for (content, answers) in &by_content {
        let numbers: BTreeSet<i64> = answers.iter().map(|(_, n)| *n).collect();
        assert_eq!(numbers.len(), 1, "content {content}: one version, {answers:?}");
        assert_eq!(
            answers.iter().filter(|(s, _)| *s == 201).count(),
            1,
            "content {content}: created once"
        );
    }
    let (_, versions) = call(&bases[1], "GET", "/v1/services/shop/versions?limit=100", None);
    let numbers: BTreeSet<i64> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["number"].as_i64().unwrap())
        .collect();
    assert_eq!(
        numbers,
        (1..=10).collect::<BTreeSet<_>>(),
        "ten versions, numbered without gaps"
    );

    // One approved plan, applied by 10 requests at once over the three: it runs once.
    let target = TestDb::new().await;
    let (status, body) = call(
        &bases[2],
        "PUT",
        "/v1/services/shop/environments/dev",
        Some(&json!({"database_url": target.url()})),
    );
    assert_eq!(status, 201, "{body}");
    let ddl = "CREATE TABLE items (id bigint PRIMARY KEY);";
    assert_eq!(push(&bases[0], ddl).0, 201);
    let id = approved_plan(&bases[0]).await;
    let applies: Vec<_> = (0..10)
        .map(|i| {
            let (base, id) = (bases[i % 3].clone(), id.clone());
            std::thread::spawn(move || call(&base, "POST", &format!("/v1/plans/{id}/apply"), None).0)
        })
        .collect();
    let statuses: Vec<u16> = applies.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200 || **s == 202).count(),
        1,
        "one apply runs: {statuses:?}"
    );
    assert!(statuses.iter().all(|s| [200, 202, 409].contains(s)), "{statuses:?}");
    let plan = settled(&bases[1], &id, Duration::from_secs(60)).await;
    assert_eq!(plan["state"], "verified", "{plan}");
    let (_, log) = call(&bases[2], "GET", "/v1/audit?action=plan.apply.start&limit=100", None);
    assert_eq!(log["items"].as_array().unwrap().len(), 1, "{log}");

    // The next plan waits on a lock held by hand; the replica applying it is killed.
    assert_eq!(
        push(&bases[0], "CREATE TABLE items (id bigint PRIMARY KEY, note text);").0,
        201
    );
    let id = approved_plan(&bases[0]).await;
    let holder = target.client().await;
    let applier = blocked_apply(&holder, &bases[0], &bases[1], &id).await;
    a.signal(Signal::SIGKILL);
    let _ = applier.join();
    holder.batch_execute("ROLLBACK").await.unwrap();
    let (_, plan) = call(&bases[1], "GET", &format!("/v1/plans/{id}"), None);
    assert_eq!(plan["state"], "applying", "its lease has not run out yet: {plan}");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (_, plan) = call(&bases[1], "GET", &format!("/v1/plans/{id}"), None);
    assert_eq!(plan["state"], "failed", "{plan}");
    assert!(
        plan["error"].as_str().unwrap().contains("stopped before it was done"),
        "{plan}"
    );
    // Another replica plans again and applies to the same database (unless the killed one's
    // server finished the group it had been sent: then there is nothing left to do).
    let (status, plan) = call(
        &bases[2],
        "POST",
        "/v1/services/shop/environments/dev/plans",
        Some(&json!({})),
    );
    assert!(status == 201 || status == 202, "{plan}");
    let id = plan["id"].as_str().unwrap().to_string();
    let plan = settled(&bases[2], &id, Duration::from_secs(60)).await;
    if plan["state"] == "approved" {
        let (status, body) = call(&bases[2], "POST", &format!("/v1/plans/{id}/apply"), None);
        assert!(status == 200 || status == 202, "{body}");
    }
    assert_eq!(
        settled(&bases[2], &id, Duration::from_secs(60)).await["state"],
        "verified"
    );

    // SIGTERM on the replica applying a plan: it gives the plan's lease back as it stops, so
    // another replica marks the plan failed at once, not a lease later. (The apply waits on
    // the lock for up to a minute: the registry stops while it waits.)
    crate::served::set_policy(&bases[1], "dev", "lock_timeout", json!("60s"));
    assert_eq!(
        push(
            &bases[1],
            "CREATE TABLE items (id bigint PRIMARY KEY, note text, extra text);"
        )
        .0,
        201
    );
    let id = approved_plan(&bases[2]).await;
    let applier = blocked_apply(&holder, &bases[2], &bases[1], &id).await;
    c.signal(Signal::SIGTERM);
    assert!(c.exited(Duration::from_secs(30)).await.is_some(), "the replica stops");
    let _ = applier.join();
    let (_, plan) = call(&bases[1], "GET", &format!("/v1/plans/{id}"), None);
    assert_eq!(plan["state"], "failed", "taken over at once: {plan}");
    assert!(
        plan["error"].as_str().unwrap().contains("stopped before it was done"),
        "{plan}"
    );
    holder.batch_execute("ROLLBACK").await.unwrap();
    drop((a, b, c));
}
