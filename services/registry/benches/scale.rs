//! `make bench` (part 8): the registry at 1,000 services. The release binary (SQLite store; then
//! two replicas on one PostgreSQL store; the test server as its scratch server) gets services of three versions each, pushed as SQL by 8
//! clients, each service bound in dev to one of four databases on one server and watched every
//! minute. At 10 services and again at 1,000: pushes per second and a push's p50/p99, the
//! overview's, a version list's and the console's overview page's p50/p99 (8 clients, 10 s).
//! Then, over two intervals at 1,000: the share of bindings the watch read within their
//! interval, the registry's CPU and peak memory, and the most connections it held to the four
//! databases' server at any 50 ms sample (its budget: `target_server_connections`, 4).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use schemareg_adapters::pg::Target;
use schemareg_adapters::testing::server_url;
use serde_json::{Value, json};

mod common;
use common::server::{Server, start};

const CLIENTS: usize = 8;
const DATABASES: usize = 4;
const BUDGET: usize = 4;
const INTERVAL: Duration = Duration::from_secs(60);
/// How long each read is timed for.
const READS_FOR: Duration = Duration::from_secs(10);

/// The three versions every service pushes.
const VERSIONS: [&str; 3] = [
    "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);",
    "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL); CREATE INDEX items_name_idx ON items (name);",
    "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL); CREATE INDEX items_name_idx ON items (name); \
     CREATE TABLE notes (id bigint PRIMARY KEY, item_id bigint REFERENCES items (id), body text);",
];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The registry's CPU time so far (user + system, seconds), from `/proc`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// A line of `/proc/<pid>/status` in MiB (`VmHWM`: peak resident memory; `VmRSS`: now).
fn memory_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

struct Bench {
    /// The replicas (one, or several on one PostgreSQL store); requests go to each in turn.
    servers: Vec<Server>,
    next: AtomicUsize,
    /// Answers the bench did not expect.
    failures: AtomicUsize,
    http: reqwest::Client,
    urls: Vec<String>,
}

impl Bench {
    /// Notes an answer the bench did not expect: counted, and the first printed with what the
    /// registries logged last.
    fn failed(&self, what: &str) {
        if self.failures.fetch_add(1, Ordering::Relaxed) == 0 {
            println!("  FIRST FAILURE: {what}");
            for (i, server) in self.servers.iter().enumerate() {
                println!("  replica {i} logged last:\n{}", server.log_tail(10));
            }
        }
    }

    /// The next replica's address.
    fn base(&self) -> String {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.servers.len();
        format!("http://{}", self.servers[i].addr)
    }

    fn token(&self) -> &str {
        &self.servers[0].token
    }

    async fn send(&self, method: reqwest::Method, path: &str, kind: &str, body: String) -> (u16, Value) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base()))
            .bearer_auth(self.token())
            .header("content-type", kind)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Services `range` made, pushed (three versions each) and bound; the pushes' count, wall
    /// time and latencies (ms, sorted).
    async fn grow(self: &Arc<Self>, range: std::ops::Range<usize>) -> (usize, Duration, Vec<f64>) {
        let started = Instant::now();
        let next = Arc::new(AtomicUsize::new(range.start));
        let workers: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (bench, next, end) = (self.clone(), next.clone(), range.end);
                tokio::spawn(async move {
                    let mut times = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= end {
                            return times;
                        }
                        let name = format!("s{i:04}");
                        let (status, answer) = bench
                            .send(
                                reqwest::Method::POST,
                                "/v1/services",
                                "application/json",
                                json!({"name": name}).to_string(),
                            )
                            .await;
                        if status != 201 {
                            bench.failed(&format!("service {name}: {status} {answer}"));
                            continue;
                        }
                        for ddl in VERSIONS {
                            let at = Instant::now();
                            let (status, answer) = bench
                                .send(
                                    reqwest::Method::POST,
                                    &format!("/v1/services/{name}/versions"),
                                    "application/sql",
                                    ddl.to_string(),
                                )
                                .await;
                            if status != 201 {
                                bench.failed(&format!("push to {name}: {status} {answer}"));
                                continue;
                            }
                            times.push(at.elapsed().as_secs_f64() * 1000.0);
                        }
                        let (status, answer) = bench
                            .send(
                                reqwest::Method::PUT,
                                &format!("/v1/services/{name}/environments/dev"),
                                "application/json",
                                json!({"database_url": bench.urls[i % DATABASES]}).to_string(),
                            )
                            .await;
                        if status != 201 {
                            bench.failed(&format!("binding {name}: {status} {answer}"));
                        }
                    }
                })
            })
            .collect();
        let mut times = Vec::new();
        for w in workers {
            times.extend(w.await.unwrap());
        }
        times.sort_by(f64::total_cmp);
        (times.len(), started.elapsed(), times)
    }

    /// p50 and p99 (ms) of GET `path` by CLIENTS clients for READS_FOR, and how many.
    async fn reads(self: &Arc<Self>, path: &str, cookie: Option<&str>) -> (f64, f64, usize) {
        let deadline = Instant::now() + READS_FOR;
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (bench, path, cookie) = (self.clone(), path.to_string(), cookie.map(str::to_string));
                tokio::spawn(async move {
                    let mut times = Vec::new();
                    while Instant::now() < deadline {
                        let at = Instant::now();
                        let mut request = bench.http.get(format!("{}{path}", bench.base()));
                        request = match &cookie {
                            Some(c) => request.header("cookie", c),
                            None => request.bearer_auth(bench.token()),
                        };
                        let response = request.send().await.unwrap();
                        let status = response.status();
                        let _ = response.bytes().await.unwrap();
                        assert_eq!(status, 200, "GET {path}");
                        times.push(at.elapsed().as_secs_f64() * 1000.0);
                    }
                    times
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all.sort_by(f64::total_cmp);
        (percentile(&all, 0.5), percentile(&all, 0.99), all.len())
    }

    async fn report(self: &Arc<Self>, services: usize, pushed: (usize, Duration, Vec<f64>), cookie: &str) {
        let (n, wall, times) = pushed;
        println!(
            "  {services:>5} services: {n} pushes in {:.1} s by {CLIENTS} clients = {:.1} pushes/s (push p50 {:.0} ms, p99 {:.0} ms; {} failed so far)",
            wall.as_secs_f64(),
            n as f64 / wall.as_secs_f64(),
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            self.failures.load(Ordering::Relaxed)
        );
        for (name, path, cookie) in [
            ("overview", "/v1/overview", None),
            ("version list", "/v1/services/s0005/versions", None),
            ("console overview", "/ui", Some(cookie)),
        ] {
            let (p50, p99, reads) = self.reads(path, cookie).await;
            println!("           {name:<17} {reads:>6} reads   p50 {p50:>7.2} ms   p99 {p99:>7.2} ms");
        }
    }
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!(
        "The registry at scale (release build; {} versions a service, bound in dev to {DATABASES} databases of one server, watched every {} s)",
        VERSIONS.len(),
        INTERVAL.as_secs()
    );
    run("one registry, SQLite store", 1, None).await;
    // Two replicas on one PostgreSQL store (a database of the test server).
    let admin = Target::parse(&server_url()).unwrap().connect().await.unwrap();
    let store = format!("bench_scale_store_{}", schemareg_adapters::random_hex(4));
    admin.batch_execute(&format!("CREATE DATABASE {store}")).await.unwrap();
    let url = server_url();
    let (head, _) = url.rsplit_once('/').unwrap();
    run("two replicas, PostgreSQL store", 2, Some(format!("{head}/{store}"))).await;
    let _ = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {store} WITH (FORCE)"))
        .await;
}

/// The whole measure with `replicas` registries on `store` (none: SQLite, one registry).
async fn run(label: &str, replicas: usize, store: Option<String>) {
    println!("{label}:");
    // The four databases the services are bound to, on the test server.
    let admin_target = Target::parse(&server_url()).unwrap();
    let admin = admin_target.connect().await.unwrap();
    admin.batch_execute("SET application_name = 'bench'").await.unwrap();
    let names: Vec<String> = (0..DATABASES)
        .map(|d| format!("bench_scale_{}_{d}", schemareg_adapters::random_hex(4)))
        .collect();
    for name in &names {
        admin.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        let db = admin_target.with_database(name).connect().await.unwrap();
        db.batch_execute(VERSIONS[2]).await.unwrap();
    }
    // Replicas share the store, the key that encrypts database URLs and the token key.
    let mut settings = vec![
        ("SCHEMAREG_SECRET_KEY", "c2NoZW1hcmVnLXRlc3Qtc2VjcmV0LWtleS0zMmJ5dGU="),
        (
            "SCHEMAREG_JWT_HS256_SECRET",
            "bench-scale-shared-token-secret-of-32-bytes",
        ),
    ];
    if let Some(url) = &store {
        settings.push(("SCHEMAREG_STORE_URL", url.as_str()));
    }
    let mut servers = Vec::new();
    for _ in 0..replicas {
        servers.push(start("bench_scale_", &settings).await);
    }
    let pids: Vec<u32> = servers.iter().map(|s| s.child.id()).collect();
    let base = format!("http://{}", servers[0].addr);
    let urls = names
        .iter()
        .map(|n| {
            let url = server_url();
            let (head, _) = url.rsplit_once('/').unwrap();
            format!("{head}/{n}")
        })
        .collect();
    let bench = Arc::new(Bench {
        servers,
        next: AtomicUsize::new(0),
        failures: AtomicUsize::new(0),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        urls,
    });
    let (_, view) = bench
        .send(reqwest::Method::GET, "/v1/environments/dev/policy", "", String::new())
        .await;
    let mut policy = view["policy"].clone();
    policy["drift_interval"] = json!("1min");
    let response = bench
        .http
        .put(format!("{base}/v1/environments/dev/policy"))
        .bearer_auth(bench.token())
        .header("if-match", format!("\"{}\"", view["version"]))
        .header("content-type", "application/json")
        .body(policy.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = common::session::console_session(&bench.http, &base, bench.token()).await;

    // The registries' connections to the bound databases, sampled all along.
    let peak = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done, names) = (peak.clone(), done.clone(), names.clone());
        tokio::spawn(async move {
            let mut samples = 0usize;
            while !done.load(Ordering::Relaxed) {
                let n: i64 = admin
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'schemareg' AND datname::text = ANY($1)",
                        &[&names],
                    )
                    .await
                    .unwrap()
                    .get(0);
                peak.fetch_max(n as usize, Ordering::Relaxed);
                samples += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (admin, samples)
        })
    };

    let cpu = || pids.iter().map(|p| cpu_seconds(*p)).sum::<f64>();
    let memory = |field: &str| pids.iter().map(|p| memory_mib(*p, field)).sum::<f64>();
    let cpu_before = cpu();
    let pushed = bench.grow(0..10).await;
    bench.report(10, pushed, &cookie).await;
    let pushed = bench.grow(10..1000).await;
    let last_bound = Instant::now();
    bench.report(1000, pushed, &cookie).await;

    // Two intervals after the last binding, every binding should have been read within the
    // last interval (give or take a tenth, plus the watch's 1 s tick).
    let watch_from = Instant::now();
    let cpu_watch = cpu();
    tokio::time::sleep((INTERVAL * 2 + Duration::from_secs(5)).saturating_sub(last_bound.elapsed())).await;
    let watched = watch_from.elapsed().as_secs_f64();
    let cpu_watching = (cpu() - cpu_watch) / watched;
    let (_, overview) = bench
        .send(reqwest::Method::GET, "/v1/overview", "", String::new())
        .await;
    let now = time::OffsetDateTime::now_utc();
    let allowed = INTERVAL.as_secs_f64() * 1.1 + 1.0;
    let mut ages = Vec::new();
    let mut delayed = 0;
    for s in overview["services"].as_array().unwrap() {
        let p = &s["environments"][0];
        if !p["drift_delayed_since"].is_null() {
            delayed += 1;
        }
        let age = p["drift_checked_at"]
            .as_str()
            .and_then(|at| time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok())
            .map_or(f64::INFINITY, |at| (now - at).as_seconds_f64());
        ages.push(age);
    }
    ages.sort_by(f64::total_cmp);
    let on_time = ages.iter().filter(|a| **a <= allowed).count();
    done.store(true, Ordering::Relaxed);
    let (_, samples) = sampler.await.unwrap();
    let peak = peak.load(Ordering::Relaxed);
    println!(
        "  the watch at 1000 bindings: {on_time} of {} read within the interval ({:.1} %; {delayed} delayed), last read's age p50 {:.1} s, max {:.1} s",
        ages.len(),
        100.0 * on_time as f64 / ages.len() as f64,
        percentile(&ages, 0.5),
        ages.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "  the registr{}: CPU {:.0} % of a core while watching ({:.0} s of CPU in all), memory {:.0} MiB now, {:.0} MiB at most",
        if replicas == 1 { "y" } else { "ies together" },
        cpu_watching * 100.0,
        cpu() - cpu_before,
        memory("VmRSS:"),
        memory("VmHWM:")
    );
    let budget = BUDGET * replicas;
    let verdict = if peak <= budget { "within" } else { "OVER" };
    println!(
        "  connections to the bound databases' server: at most {peak} in {samples} samples ({verdict} the budget of {replicas} × {BUDGET})"
    );

    drop(bench);
    let admin = admin_target.connect().await.unwrap();
    for name in &names {
        let _ = admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
}
