//! `make bench` (part 4): how long a person waits for a plan. The release binary serves on
//! loopback (SQLite store, the test server as its scratch server); for LOG-158 (the models
//! against `live_before.sql`, supabase preset) and for 1,000 generated tables with 1 % changed,
//! a version is pushed, an environment bound to the live database, and plans are created:
//! the time from `POST …/plans` until the plan has left `computing` (the live schema read, the
//! plan made and verified in a scratch database). The first plan of a FROM builds the scratch
//! template it is verified from; the next ones (median of 3) copy it.

use std::time::{Duration, Instant};

use schemareg_adapters::testing::fixtures::{fixture, live_before, loaded, read};
use serde_json::json;

mod common;
use common::server::{Server, start};
use common::{ms, tables};

/// Creates a plan and waits for it to leave `computing`; its state and the wait.
async fn plan(server: &Server, service: &str) -> (String, Duration) {
    let started = Instant::now();
    let (status, created, location) = server
        .call(
            "POST",
            &format!("/v1/services/{service}/environments/dev/plans"),
            "application/json",
            "{}".into(),
        )
        .await;
    assert!(matches!(status, 201 | 202), "{status} {created}");
    let location = location.expect("a plan's Location");
    let mut plan = created;
    while plan["state"] == "computing" {
        tokio::time::sleep(Duration::from_millis(10)).await;
        plan = server.call("GET", &location, "application/json", String::new()).await.1;
    }
    (plan["state"].as_str().unwrap_or("?").to_string(), started.elapsed())
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // Pushing the 1,000-table schema (built and read back in a scratch database) takes longer
    // than the default 30 s request limit on a slow shared machine: the bench times plans, and
    // prints the push's time beside them, rather than failing on the push.
    let server = start("bench_plan_", &[("SCHEMAREG_REQUEST_TIMEOUT_SECS", "600")]).await;
    println!("plan latency: POST …/plans until computed (verification included); first plan, then median of 3");
    println!(
        "{:>28} | {:>10} | {:>10} | {:>10} | state",
        "schema", "push", "first", "next"
    );
    let cases = [
        (
            "log158",
            "LOG-158 (supabase preset)",
            read(&fixture("log158_models.sql")),
            read(&live_before()),
            json!({"presets": ["supabase"]}),
        ),
        (
            "gen1000",
            "1,000 tables, 1 % changed",
            tables(1000, true),
            tables(1000, false),
            json!({}),
        ),
    ];
    for (service, label, wanted, live, scope) in cases {
        let live = loaded(&live).await;
        // The load's dirty pages written out: plans are timed, not the server's backlog.
        live.execute("CHECKPOINT").await;
        server
            .json("POST", "/v1/services", json!({"name": service, "scope": scope}))
            .await;
        let pushing = Instant::now();
        let (status, pushed, _) = server
            .call(
                "POST",
                &format!("/v1/services/{service}/versions"),
                "application/sql",
                wanted,
            )
            .await;
        assert!(matches!(status, 200 | 201), "{status} {pushed}");
        let push = pushing.elapsed();
        server
            .json(
                "PUT",
                &format!("/v1/services/{service}/environments/dev"),
                json!({"database_url": live.url_with_password("bench"), "scope": scope}),
            )
            .await;
        let (state, first) = plan(&server, service).await;
        let mut next = Vec::new();
        for _ in 0..3 {
            let (s, d) = plan(&server, service).await;
            assert_eq!(s, state, "the same plan each time");
            next.push(d);
        }
        next.sort();
        println!(
            "{label:>28} | {:>10} | {:>10} | {:>10} | {state}",
            ms(push),
            ms(first),
            ms(next[1])
        );
    }
}
