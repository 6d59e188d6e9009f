//! `make bench` (part 6): the drift watch keeping time. The release binary watches 50 bindings
//! (50 databases of 20 generated tables on the test server) at a 10 s interval; for 45 s the
//! overview is read every 200 ms and each binding's checks are timed by when they read their
//! database. Printed: checks per second, the gaps between a binding's checks (the interval
//! give or take a tenth, plus the watch's 1 s tick), the lag past the latest a check should
//! come (interval + a tenth + the tick) at p50/p99/max, and the registry's CPU meanwhile.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use schemareg_adapters::testing::fixtures::loaded;
use serde_json::json;

mod common;
use common::server::start;
use common::tables;

const BINDINGS: usize = 50;
const INTERVAL_SECS: f64 = 10.0;
const WINDOW: Duration = Duration::from_secs(45);

/// The registry's CPU time so far (user + system), from `/proc`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // In clock ticks: USER_HZ, 100 on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

fn seconds_of(at: &str) -> Option<f64> {
    let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    Some(t.unix_timestamp_nanos() as f64 / 1e9)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let server = start("bench_watch_", &[("SCHEMAREG_DRIFT_CONCURRENCY", "4")]).await;
    let (_, view, _) = server
        .call("GET", "/v1/environments/dev/policy", "", String::new())
        .await;
    let mut policy = view["policy"].clone();
    policy["drift_interval"] = json!(format!("{INTERVAL_SECS}s").replace(".0", ""));
    let etag = format!("\"{}\"", view["version"]);
    let (status, answer, _) = server
        .call_with(
            "PUT",
            "/v1/environments/dev/policy",
            "application/json",
            &[("if-match", etag.as_str())],
            policy.to_string(),
        )
        .await;
    assert_eq!(status, 200, "{answer}");

    let ddl = tables(20, false);
    server.json("POST", "/v1/services", json!({"name": "w00"})).await;
    let (status, _, _) = server
        .call("POST", "/v1/services/w00/versions", "application/sql", ddl.clone())
        .await;
    assert_eq!(status, 201);
    let (_, snapshot, _) = server
        .call("GET", "/v1/services/w00/versions/1/snapshot", "", String::new())
        .await;
    let mut dbs = Vec::new();
    for i in 0..BINDINGS {
        let service = format!("w{i:02}");
        if i > 0 {
            server.json("POST", "/v1/services", json!({"name": service})).await;
            server
                .json("POST", &format!("/v1/services/{service}/versions"), snapshot.clone())
                .await;
        }
        let db = loaded(&ddl).await;
        server
            .json(
                "PUT",
                &format!("/v1/services/{service}/environments/dev"),
                json!({"database_url": db.url()}),
            )
            .await;
        dbs.push(db);
    }

    // Each binding's checks, by the time they read the database.
    let cpu_before = cpu_seconds(server.child.id());
    let started = Instant::now();
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    while started.elapsed() < WINDOW {
        let (_, overview, _) = server.call("GET", "/v1/overview", "", String::new()).await;
        for s in overview["services"].as_array().into_iter().flatten() {
            let at = s["environments"][0]["drift_checked_at"].as_str().map(str::to_string);
            if let Some(at) = at {
                seen.entry(s["service"].as_str().unwrap_or("").to_string())
                    .or_default()
                    .insert(at);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let cpu = cpu_seconds(server.child.id()) - cpu_before;
    let window = started.elapsed().as_secs_f64();
    let (_, overview, _) = server.call("GET", "/v1/overview", "", String::new()).await;
    let mut states: BTreeMap<String, usize> = BTreeMap::new();
    for s in overview["services"].as_array().into_iter().flatten() {
        let state = s["environments"][0]["drift_state"].as_str().unwrap_or("never checked");
        *states.entry(state.to_string()).or_default() += 1;
    }
    let one = Instant::now();
    let (_, drift, _) = server
        .call(
            "GET",
            "/v1/services/w00/environments/dev/drift?refresh=true",
            "",
            String::new(),
        )
        .await;
    let one = one.elapsed();

    let latest = INTERVAL_SECS * 1.1 + 1.0;
    let mut gaps = Vec::new();
    let mut checks = 0;
    for times in seen.values() {
        let secs: Vec<f64> = times.iter().filter_map(|t| seconds_of(t)).collect();
        checks += secs.len();
        gaps.extend(secs.windows(2).map(|w| w[1] - w[0]));
    }
    gaps.sort_by(f64::total_cmp);
    let mut lags: Vec<f64> = gaps.iter().map(|g| (g - latest).max(0.0)).collect();
    lags.sort_by(f64::total_cmp);
    println!(
        "drift watch: {BINDINGS} bindings (20 tables each) at a {INTERVAL_SECS} s interval, watched for {window:.0} s"
    );
    println!(
        "  checks {checks} ({:.2}/s; {} bindings checked) | gap between a binding's checks p50 {:.2} s, p99 {:.2} s (expected {:.1}–{:.1} s)",
        checks as f64 / window,
        seen.len(),
        percentile(&gaps, 0.5),
        percentile(&gaps, 0.99),
        INTERVAL_SECS * 0.9,
        latest
    );
    println!(
        "  lag past the latest due time: p50 {:.2} s, p99 {:.2} s, max {:.2} s | registry CPU {:.1} s ({:.1} % of one core)",
        percentile(&lags, 0.5),
        percentile(&lags, 0.99),
        lags.last().copied().unwrap_or(f64::NAN),
        cpu,
        100.0 * cpu / window
    );
    println!(
        "  states at the end: {states:?} | one check read now: {} ({})",
        common::ms(one),
        drift["state"].as_str().unwrap_or("?")
    );
}
