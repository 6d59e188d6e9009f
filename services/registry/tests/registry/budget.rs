//! The registry shares a database server with its applications (issue 32, item 1): 200
//! services bound in dev to four databases of one small server (`max_connections` 20), watched
//! every few seconds while pipelines push and plan. The registry never holds more than its
//! budget for that server (`target_server_connections`), nothing it is asked for fails for
//! want of a connection, and the server never refuses one. The same server is the registry's
//! scratch server, with the smallest scratch budget (`scratch_connections`): pushes and plans
//! wait their turn there, and its connections stay within that budget too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use schemareg_adapters::pg::Target;
use schemareg_adapters::scratch::PrivateCluster;
use serde_json::{Value, json};

use crate::served::{Served, token};

const SERVICES: usize = 200;
const DATABASES: usize = 4;
const BUDGET: usize = 4;
/// The least `scratch_connections` there is: one run at a time.
const SCRATCH_BUDGET: usize = 13;
const DDL: &str = "CREATE TABLE items (id bigint PRIMARY KEY);";

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<(&str, String)>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some((kind, body)) = body {
            request = request.header("content-type", kind).body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn json(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        self.send(method, path, Some(("application/json", body.to_string())))
            .await
    }

    async fn push(&self, service: &str, ddl: &str) -> (u16, Value) {
        self.send(
            reqwest::Method::POST,
            &format!("/v1/services/{service}/versions"),
            Some(("application/sql", ddl.to_string())),
        )
        .await
    }
}

/// Connections the registry holds to the server (by their `application_name`), sampled.
/// The registry's connections to the bound databases (`app…`) and to the rest (its scratch
/// work).
async fn registry_connections(admin: &tokio_postgres::Client) -> (usize, usize) {
    let row = admin
        .query_one(
            "SELECT count(*) FILTER (WHERE starts_with(datname, 'app')), count(*) FILTER (WHERE NOT starts_with(datname, 'app'))
             FROM pg_stat_activity WHERE application_name = 'schemareg' AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    (row.get::<_, i64>(0) as usize, row.get::<_, i64>(1) as usize)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_services_on_a_small_server_stay_within_the_budget() {
    let cluster = PrivateCluster::start_with(&[("max_connections", "20")]).unwrap();
    let admin_target = Target::parse(&cluster.url()).unwrap();
    let admin = admin_target.connect().await.unwrap();
    admin.batch_execute("SET application_name = 'the test'").await.unwrap();
    let mut urls = Vec::new();
    for d in 0..DATABASES {
        admin.batch_execute(&format!("CREATE DATABASE app{d}")).await.unwrap();
        admin_target
            .with_database(&format!("app{d}"))
            .connect()
            .await
            .unwrap()
            .batch_execute(DDL)
            .await
            .unwrap();
        urls.push(cluster.url().replace("/postgres?", &format!("/app{d}?")));
    }

    let served = Served::start(&[
        ("SCHEMAREG_TARGET_SERVER_CONNECTIONS", &BUDGET.to_string()),
        ("SCHEMAREG_SCRATCH_URL", &cluster.url()),
        ("SCHEMAREG_SCRATCH_CONNECTIONS", &SCRATCH_BUDGET.to_string()),
        // More checks at once than places: they wait in line.
        ("SCHEMAREG_DRIFT_CONCURRENCY", "16"),
    ])
    .await;
    let client = Arc::new(Client {
        http: reqwest::Client::new(),
        base: served.base(),
        token: token(),
    });
    crate::served::set_policy(&served.base(), "dev", "drift_interval", json!("3s"));
    let names: Vec<String> = (0..SERVICES).map(|i| format!("svc{i:03}")).collect();
    futures_util::stream::iter(names.iter().enumerate())
        .for_each_concurrent(8, |(i, name)| {
            let (client, url) = (client.clone(), urls[i % DATABASES].clone());
            async move {
                let (status, body) = client
                    .json(reqwest::Method::POST, "/v1/services", json!({"name": name}))
                    .await;
                assert_eq!(status, 201, "{body}");
                let (status, body) = client.push(name, DDL).await;
                assert!(matches!(status, 200 | 201), "{body}");
                let (status, body) = client
                    .json(
                        reqwest::Method::PUT,
                        &format!("/v1/services/{name}/environments/dev"),
                        json!({"database_url": url}),
                    )
                    .await;
                assert_eq!(status, 201, "{body}");
            }
        })
        .await;

    // Watched while eight pipelines push new versions and plan them, for 15 s; the registry's
    // connections to the server are counted every 20 ms.
    let peak = Arc::new(AtomicUsize::new(0));
    let scratch_peak = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, scratch_peak, done) = (peak.clone(), scratch_peak.clone(), done.clone());
        tokio::spawn(async move {
            let mut samples = 0;
            while !done.load(Ordering::Relaxed) {
                let (n, scratch) = registry_connections(&admin).await;
                scratch_peak.fetch_max(scratch, Ordering::Relaxed);
                if n > BUDGET {
                    let rows = admin.query("SELECT pid::text, coalesce(state,''), backend_start::text, coalesce(state_change::text,''), left(query, 60), datname::text FROM pg_stat_activity WHERE application_name = 'schemareg'", &[]).await.unwrap();
                    for r in rows {
                        eprintln!("over: {:?}", (0..6).map(|i| r.get::<_, String>(i)).collect::<Vec<_>>());
                    }
                }
                peak.fetch_max(n, Ordering::Relaxed);
                samples += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            samples
        })
    };
    let until = Instant::now() + Duration::from_secs(15);
    let answers: Vec<Vec<(String, u16, String)>> = futures_util::future::join_all((0..8).map(|p| {
        let (client, names) = (client.clone(), names.clone());
        async move {
            let mut answers = Vec::new();
            let mut round = 0;
            while Instant::now() < until {
                let name = &names[(p * 25 + round) % SERVICES];
                round += 1;
                let ddl = format!("{DDL} CREATE TABLE extra_{round} (id int);");
                let (status, body) = client.push(name, &ddl).await;
                answers.push(("push".into(), status, body.to_string()));
                let Some(version) = body["number"].as_i64() else {
                    continue;
                };
                let (status, body) = client
                    .json(
                        reqwest::Method::POST,
                        &format!("/v1/services/{name}/environments/dev/plans"),
                        json!({"version": version.to_string()}),
                    )
                    .await;
                answers.push(("plan".into(), status, body.to_string()));
                let (status, body) = client
                    .send(
                        reqwest::Method::GET,
                        &format!("/v1/services/{name}/environments/dev/drift?refresh=true"),
                        None,
                    )
                    .await;
                answers.push(("drift".into(), status, body.to_string()));
            }
            answers
        }
    }))
    .await;
    done.store(true, Ordering::Relaxed);
    let samples = sampler.await.unwrap();
    let answers: Vec<_> = answers.into_iter().flatten().collect();
    let failed: Vec<_> = answers.iter().filter(|(_, status, _)| *status >= 500).collect();
    assert!(
        failed.is_empty(),
        "{} of {} answers failed: {:?}",
        failed.len(),
        answers.len(),
        &failed[..failed.len().min(5)]
    );
    let peak = peak.load(Ordering::Relaxed);
    eprintln!(
        "budget: {} requests while {SERVICES} bindings were watched; peak {peak} connections to the server in {samples} samples",
        answers.len()
    );
    assert!(
        peak <= BUDGET,
        "the registry held {peak} connections to the server (budget {BUDGET})"
    );
    assert!(peak > 0, "the sampler saw the registry's connections");
    let scratch_peak = scratch_peak.load(Ordering::Relaxed);
    eprintln!("budget: peak {scratch_peak} connections for scratch work (budget {SCRATCH_BUDGET})");
    assert!(
        (1..=SCRATCH_BUDGET).contains(&scratch_peak),
        "the registry held {scratch_peak} connections for scratch work (budget {SCRATCH_BUDGET})"
    );

    // Every binding is read by the watch (on a slow machine the watch, four connections wide,
    // may still be on its first round when the pipelines stop: it is waited for), and none is
    // ever taken for unknown for want of a connection.
    let deadline = Instant::now() + Duration::from_secs(120);
    let unchecked = loop {
        let (status, overview) = client.send(reqwest::Method::GET, "/v1/overview", None).await;
        assert_eq!(status, 200, "{overview}");
        let placements: Vec<Value> = overview["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["environments"][0].clone())
            .collect();
        assert_eq!(placements.len(), SERVICES);
        for p in &placements {
            assert_ne!(p["drift_state"], "unknown", "{p}");
        }
        let unchecked: Vec<Value> = placements
            .into_iter()
            .filter(|p| !p["drift_checked_at"].is_string())
            .collect();
        if unchecked.is_empty() || Instant::now() > deadline {
            break unchecked;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(
        unchecked.is_empty(),
        "{} bindings never checked in two minutes, such as {}",
        unchecked.len(),
        unchecked[0]
    );
    let (status, unknown) = client
        .send(reqwest::Method::GET, "/v1/audit?action=drift.unknown", None)
        .await;
    assert_eq!(status, 200, "{unknown}");
    assert_eq!(
        unknown["items"],
        json!([]),
        "bindings were taken for unknown: {unknown}"
    );

    // The metrics say the same, and the server never refused a connection.
    let (_, metrics) = client.send(reqwest::Method::GET, "/metrics", None).await;
    let metrics = metrics.as_str().unwrap_or_default().to_string();
    let peaks: Vec<f64> = metrics
        .lines()
        .filter(|l| l.starts_with("schemareg_target_server_connections_peak{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect();
    assert_eq!(peaks.len(), 1, "{metrics}");
    assert!(peaks[0] <= BUDGET as f64 && peaks[0] >= 1.0, "{peaks:?}");
    let scratch_peak: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("schemareg_scratch_connections_peak ")?.parse().ok())
        .unwrap_or_else(|| panic!("no scratch peak in {metrics}"));
    assert!((1.0..=SCRATCH_BUDGET as f64).contains(&scratch_peak), "{scratch_peak}");
    let log = std::fs::read_to_string(cluster.socket_dir().unwrap().join("server.log")).unwrap_or_default();
    assert!(
        !log.contains("too many clients") && !log.contains("remaining connection slots"),
        "the server refused connections: {log}"
    );
    assert!(
        !served.log().contains("does not answer"),
        "the registry found a database not answering: {}",
        served.log()
    );
}
