//! `make bench` (part 9): how long a push takes. The release binary serves on loopback (SQLite
//! store, the test server as its scratch server, four ready scratch databases). Each push is
//! a new version (LOG-158's models with one generated table more), so that every one is built
//! and read back: as DDL and as snapshot JSON, one client at a time (p50, p99) and eight at
//! once (pushes per second); the same DDL pushed again (p50: what a pipeline pushing on every
//! build waits); then the 1,000-table schema, as DDL and as JSON. The reference
//! beside them: the same pushes built the way every push was before (a scratch database made
//! and dropped for each build), timed in the same run on a registry with no ready databases.

use std::sync::Arc;
use std::time::{Duration, Instant};

use schemareg_adapters::testing::fixtures::{fixture, read};
use serde_json::json;

mod common;
use common::server::{Server, start};
use common::{ms, tables};

/// Pushes `body` to `service`; the time until it was done (a push answered 202 is read until
/// it is).
async fn push(server: &Server, service: &str, kind: &str, body: String) -> Duration {
    let started = Instant::now();
    let (status, answer, location) = server
        .call("POST", &format!("/v1/services/{service}/versions"), kind, body)
        .await;
    if status == 202 {
        let location = location.expect("a 202's Location");
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let (_, push, _) = server.call("GET", &location, "application/json", String::new()).await;
            if push["state"] != "building" {
                assert_eq!(push["state"], "done", "{push}");
                return started.elapsed();
            }
        }
    }
    assert!(matches!(status, 200 | 201), "{status} {answer}");
    started.elapsed()
}

/// The LOG-158 models with table `bench_<n>` more.
fn models(n: usize) -> String {
    format!(
        "{}\nCREATE TABLE public.bench_{n} (id integer PRIMARY KEY);\n",
        read(&fixture("log158_models.sql"))
    )
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times[((times.len() - 1) as f64 * p).round() as usize]
}

/// One registry's figures: `ready` says which kind it is.
async fn measure(label: &str, settings: &[(&str, &str)], runs: usize) {
    let server = Arc::new(start("bench_push_", settings).await);
    // Ready databases are made as the registry starts: given the time to be there.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for name in ["ddl", "json", "many", "big", "bigjson"] {
        server
            .json(
                "POST",
                "/v1/services",
                json!({"name": name, "scope": {"presets": ["supabase"]}}),
            )
            .await;
    }
    // One client: DDL, then the stored snapshots pushed as JSON to another service.
    let mut ddl = Vec::new();
    for n in 0..runs {
        ddl.push(push(&server, "ddl", "application/sql", models(n)).await);
    }
    // The same DDL again, as pipelines push it on every build.
    let mut again = Vec::new();
    for n in 0..runs {
        again.push(push(&server, "ddl", "application/sql", models(n)).await);
    }
    let mut json = Vec::new();
    for n in 1..=runs {
        let (status, snapshot, _) = server
            .call(
                "GET",
                &format!("/v1/services/ddl/versions/{n}/snapshot"),
                "application/json",
                String::new(),
            )
            .await;
        assert_eq!(status, 200, "{snapshot}");
        json.push(push(&server, "json", "application/json", snapshot.to_string()).await);
    }
    // Eight clients at once.
    let started = Instant::now();
    let clients = (0..8).map(|c| {
        let server = server.clone();
        tokio::spawn(async move {
            for n in 0..runs / 2 {
                push(&server, "many", "application/sql", models(10_000 + c * 1000 + n)).await;
            }
        })
    });
    for c in futures_util::future::join_all(clients).await {
        c.unwrap();
    }
    let rate = (8 * (runs / 2)) as f64 / started.elapsed().as_secs_f64();
    let big = push(&server, "big", "application/sql", tables(1000, false)).await;
    let (_, snapshot, _) = server
        .call(
            "GET",
            "/v1/services/big/versions/1/snapshot",
            "application/json",
            String::new(),
        )
        .await;
    let big_json = push(&server, "bigjson", "application/json", snapshot.to_string()).await;
    println!(
        "{label:>28} | {:>7} | {:>7} | {:>7} | {:>7} | {:>7} | {:>9.1} | {:>8} | {:>8}",
        ms(percentile(&mut ddl, 0.5)),
        ms(percentile(&mut ddl, 0.99)),
        ms(percentile(&mut again, 0.5)),
        ms(percentile(&mut json, 0.5)),
        ms(percentile(&mut json, 0.99)),
        rate,
        ms(big),
        ms(big_json),
    );
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!("push latency: LOG-158's models (supabase preset), each push a new version; 1,000 generated tables");
    println!(
        "{:>28} | {:>7} | {:>7} | {:>7} | {:>7} | {:>7} | {:>9} | {:>8} | {:>8}",
        "registry", "DDL p50", "p99", "again", "JSON p50", "p99", "8 clients", "1k DDL", "1k JSON"
    );
    let long = [("SCHEMAREG_REQUEST_TIMEOUT_SECS", "600")];
    measure("ready databases (default)", &long, 40).await;
    measure(
        "reference: none kept ready",
        &[long[0], ("SCHEMAREG_SCRATCH_READY", "0")],
        16,
    )
    .await;
}
