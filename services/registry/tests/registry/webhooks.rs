//! Webhooks from the real binary to a receiver on loopback: a promotion's events arrive in
//! order as CloudEvents signed the Standard Webhooks way (checked by that project's own Python
//! library, which also refuses a tampered body); a receiver that fails three times gets the
//! event once; redirects are not followed; events queued when a registry is killed are
//! delivered after it starts again; two replicas on one PostgreSQL store send each event once;
//! and URLs that lead inside the network are refused unless the configuration allows them.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use schemareg::auth::Role;
use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

use crate::clients::tools;
use crate::common::free_port;
use crate::served::{Served, call, call_as, call_raw, shop, token_as};

/// A request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    content_type: String,
    path: String,
    body: String,
    answered: u16,
    at: Instant,
}

impl Received {
    fn event(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Log {
    received: Vec<Received>,
    /// Requests still to fail with 503.
    fail: usize,
}

/// A webhook receiver on loopback that keeps every request.
#[derive(Clone)]
struct Receiver {
    port: u16,
    log: Arc<Mutex<Log>>,
}

async fn receive(
    State(log): State<Arc<Mutex<Log>>>,
    uri: axum::http::Uri,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let mut log = log.lock().unwrap();
    let answer = if uri.path() == "/broken" {
        StatusCode::INTERNAL_SERVER_ERROR
    } else if uri.path() == "/moved" && !query.contains_key("redirected") {
        StatusCode::FOUND
    } else if log.fail > 0 {
        log.fail -= 1;
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    log.received.push(Received {
        id: text("webhook-id"),
        timestamp: text("webhook-timestamp"),
        signature: text("webhook-signature"),
        content_type: text("content-type"),
        path: uri.to_string(),
        body: String::from_utf8_lossy(&body).to_string(),
        answered: answer.as_u16(),
        at: Instant::now(),
    });
    if answer == StatusCode::FOUND {
        return (answer, [(header::LOCATION, "/hook?redirected=1")], "moved").into_response();
    }
    (answer, "thanks").into_response()
}

impl Receiver {
    /// Listens on `port` (a free one when none).
    async fn start(port: Option<u16>, fail: usize) -> Self {
        let port = port.unwrap_or_else(free_port);
        let log = Arc::new(Mutex::new(Log { fail, ..Log::default() }));
        let app = axum::Router::new().fallback(receive).with_state(log.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { port, log }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().received.clone()
    }

    /// The requests answered 200.
    fn delivered(&self) -> Vec<Received> {
        self.received().into_iter().filter(|r| r.answered == 200).collect()
    }

    /// Waits until `n` requests were answered 200.
    async fn until_delivered(&self, n: usize, within: Duration) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.delivered();
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < within,
                "{} of {n} events delivered after {within:?}: {:?}",
                got.len(),
                got.iter().map(|r| r.event()["type"].clone()).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Settings of a registry that may send to loopback, retries fast and links to a public URL.
const LOOPBACK: [(&str, &str); 4] = [
    ("SCHEMAREG_WEBHOOK_ALLOWED_NETWORKS", "[\"127.0.0.0/8\"]"),
    ("SCHEMAREG_WEBHOOK_BACKOFF_MS", "200"),
    ("SCHEMAREG_PUBLIC_URL", "https://registry.example"),
    ("SCHEMAREG_DRIFT_WATCH", "false"),
];

/// Subscribes `url` to `events`; the subscription's id and secret.
fn subscribe(base: &str, url: &str, events: &[&str]) -> (String, String) {
    let (status, body) = call(
        base,
        "POST",
        "/v1/webhooks",
        Some(&json!({"url": url, "events": events, "description": "test receiver"})),
    );
    assert_eq!(status, 201, "{body}");
    (
        body["id"].as_str().unwrap().to_string(),
        body["secret"].as_str().unwrap().to_string(),
    )
}

/// Which of the requests the Standard Webhooks Python library accepts with `secret`: one
/// line per request, `ok` or why not.
fn verified_by_the_reference(secret: &str, requests: &[(String, String, String, String)]) -> Vec<String> {
    let python = tools::python_bin().join("python");
    let script = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
hook = Webhook(sys.argv[1])
for line in sys.stdin:
    r = json.loads(line)
    headers = {"webhook-id": r["id"], "webhook-timestamp": r["timestamp"], "webhook-signature": r["signature"]}
    try:
        hook.verify(r["body"], headers)
        print("ok")
    except Exception as e:
        print("refused: %s" % e)
"#;
    let mut child = Command::new(python)
        .args(["-c", script, secret])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for (id, timestamp, signature, body) in requests {
            let line = json!({"id": id, "timestamp": timestamp, "signature": signature, "body": body});
            writeln!(stdin, "{line}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn as_sent(r: &Received) -> (String, String, String, String) {
    (r.id.clone(), r.timestamp.clone(), r.signature.clone(), r.body.clone())
}

/// Waits until a plan leaves `computing` and `applying`; its state.
async fn settled(base: &str, id: &str) -> Value {
    for _ in 0..600 {
        let (_, plan) = call(base, "GET", &format!("/v1/plans/{id}"), None);
        if !matches!(plan["state"].as_str(), Some("computing" | "applying")) {
            return plan;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("plan {id} did not settle");
}

async fn plan_and_apply(base: &str, environment: &str, approver: Option<&str>) -> String {
    let (status, plan) = call(
        base,
        "POST",
        &format!("/v1/services/shop/environments/{environment}/plans"),
        Some(&json!({})),
    );
    assert!(status == 201 || status == 202, "{plan}");
    let id = plan["id"].as_str().unwrap().to_string();
    let plan = settled(base, &id).await;
    if let Some(approver) = approver {
        assert_eq!(plan["state"], "pending_approval", "{plan}");
        let token = token_as(approver, &[Role::Approver]);
        let (status, body) = call_as(
            &token,
            base,
            "POST",
            &format!("/v1/plans/{id}/approvals"),
            Some(&json!({"comment": "looks fine"})),
        );
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = call(base, "POST", &format!("/v1/plans/{id}/apply"), None);
    assert!(status == 200 || status == 202, "{body}");
    assert_eq!(settled(base, &id).await["state"], "verified");
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_promotion_reaches_the_receiver_in_order_signed_and_a_tampered_body_fails_the_check() {
    let served = Served::start(&LOOPBACK).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    let receiver = Receiver::start(None, 0).await;
    let (hook, secret) = subscribe(&base, &receiver.url("/hook"), &["*"]);

    // The secret is shown once: not in the list, not when read.
    let (_, list) = call(&base, "GET", "/v1/webhooks", None);
    let (_, one) = call(&base, "GET", &format!("/v1/webhooks/{hook}"), None);
    assert_eq!(list["items"][0]["id"], hook.as_str());
    assert_eq!(one["events"], json!(["*"]));
    assert!(!list.to_string().contains(&secret) && !one.to_string().contains(&secret));
    assert!(!list.to_string().contains("secret") && !one.to_string().contains("secret"));

    let ddl = "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);";
    assert_eq!(
        call(&base, "POST", "/v1/services", Some(&json!({"name": "shop"}))).0,
        201
    );
    let dbs = [TestDb::new().await, TestDb::new().await];
    for (env, db) in ["dev", "staging"].iter().zip(&dbs) {
        let path = format!("/v1/services/shop/environments/{env}");
        assert_eq!(
            call(&base, "PUT", &path, Some(&json!({"database_url": db.url()}))).0,
            201
        );
    }
    assert_eq!(
        call_raw(&base, "POST", "/v1/services/shop/versions", "application/sql", ddl).0,
        201
    );
    let dev = plan_and_apply(&base, "dev", None).await;
    let staging = plan_and_apply(&base, "staging", Some("alice")).await;
    // By hand in staging, then undone: drift found and resolved.
    let drift = "/v1/services/shop/environments/staging/drift?refresh=true";
    dbs[1].execute("ALTER TABLE items ADD COLUMN note text").await;
    assert_eq!(call(&base, "GET", drift, None).1["state"], "drifted");
    dbs[1].execute("ALTER TABLE items DROP COLUMN note").await;
    assert_eq!(call(&base, "GET", drift, None).1["state"], "in_sync");

    let got = receiver.until_delivered(12, Duration::from_secs(30)).await;
    let seen: Vec<String> = got
        .iter()
        .map(|r| {
            let e = r.event();
            format!("{} {}", e["type"].as_str().unwrap(), e["subject"].as_str().unwrap())
        })
        .collect();
    let expected: Vec<String> = [
        ("version.pushed", "1"),
        ("plan.computed", dev.as_str()),
        ("plan.approved", dev.as_str()),
        ("plan.applied", dev.as_str()),
        ("plan.verified", dev.as_str()),
        ("plan.computed", staging.as_str()),
        ("plan.pending_approval", staging.as_str()),
        ("plan.approved", staging.as_str()),
        ("plan.applied", staging.as_str()),
        ("plan.verified", staging.as_str()),
        ("drift.detected", "staging"),
        ("drift.resolved", "staging"),
    ]
    .iter()
    .map(|(t, s)| format!("{t} {s}"))
    .collect();
    assert_eq!(seen, expected);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 12, "each event once, nothing else");

    // CloudEvents 1.0, structured, with a summary and links under the public URL.
    let approved = got[7].event();
    assert_eq!(got[7].content_type, "application/cloudevents+json");
    assert_eq!(approved["specversion"], "1.0");
    assert_eq!(approved["source"], "https://registry.example/v1/services/shop");
    assert_eq!(approved["datacontenttype"], "application/json");
    assert!(approved["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(approved["data"]["by"], "alice");
    assert_eq!(approved["data"]["environment"], "staging");
    assert_eq!(approved["data"]["plan"]["to_version"], 1);
    assert_eq!(
        approved["data"]["links"]["plan"],
        format!("https://registry.example/v1/plans/{staging}")
    );
    let summary = approved["data"]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(&format!("shop → staging: plan {staging} (version 1) approved by alice")),
        "{summary}"
    );
    assert!(
        got[0].event()["data"]["summary"]
            .as_str()
            .unwrap()
            .contains("version 1")
    );
    assert!(
        got[1].event()["data"]["summary"]
            .as_str()
            .unwrap()
            .contains("requested by operator")
    );

    // Every request passes the reference library's check; a tampered one does not.
    let mut requests: Vec<_> = got.iter().map(as_sent).collect();
    let mut tampered = as_sent(&got[7]);
    tampered.3 = tampered.3.replace("alice", "mallory");
    requests.push(tampered);
    let mut replayed = as_sent(&got[0]);
    replayed.1 = (replayed.1.parse::<i64>().unwrap() - 3600).to_string();
    requests.push(replayed);
    let verdicts = verified_by_the_reference(&secret, &requests);
    assert_eq!(verdicts.len(), 14, "{verdicts:?}");
    assert!(verdicts[..12].iter().all(|v| v == "ok"), "{verdicts:?}");
    assert!(verdicts[12].starts_with("refused"), "a tampered body: {}", verdicts[12]);
    assert!(
        verdicts[13].starts_with("refused"),
        "an old timestamp: {}",
        verdicts[13]
    );

    // Each delivery is listed, delivered at the first attempt, under the id the receiver saw.
    let (_, deliveries) = call(&base, "GET", &format!("/v1/webhooks/{hook}/deliveries?limit=100"), None);
    let items = deliveries["items"].as_array().unwrap();
    assert_eq!(items.len(), 12);
    assert!(
        items.iter().all(|d| d["state"] == "delivered" && d["attempts"] == 1),
        "{deliveries}"
    );
    let ids: Vec<&str> = items.iter().rev().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, got.iter().map(|r| r.id.as_str()).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_that_fails_three_times_gets_the_event_once_and_redirects_are_not_followed() {
    let served = Served::start(&LOOPBACK).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    let receiver = Receiver::start(None, 3).await;
    let (hook, _) = subscribe(&base, &receiver.url("/hook"), &["version.pushed"]);
    let (moved, _) = subscribe(&base, &receiver.url("/moved"), &["version.pushed"]);
    shop(&base, Some("CREATE TABLE items (id bigint PRIMARY KEY);"));

    let got = receiver.until_delivered(1, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let to_hook: Vec<Received> = receiver.received().into_iter().filter(|r| r.path == "/hook").collect();
    assert_eq!(
        to_hook.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [503, 503, 503, 200],
        "three failures, then the one delivery"
    );
    assert!(
        to_hook.iter().all(|r| r.id == got[0].id),
        "one webhook-id for every attempt"
    );
    let gaps: Vec<Duration> = to_hook.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(
        gaps[0] < Duration::from_millis(900),
        "the first retry after the backoff: {gaps:?}"
    );
    assert!(gaps[2] > gaps[0], "the waits grow: {gaps:?}");
    let (_, detail) = call(
        &base,
        "GET",
        &format!("/v1/webhooks/{hook}/deliveries/{}", got[0].id),
        None,
    );
    assert_eq!(detail["state"], "delivered", "{detail}");
    assert_eq!(detail["attempts"], 4);
    let statuses: Vec<i64> = detail["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [503, 503, 503, 200]);
    assert_eq!(detail["attempt_log"][0]["response"], "thanks");
    assert_eq!(detail["event"]["type"], "version.pushed");

    // The redirect is an attempt that failed, never followed.
    let (_, list) = call(&base, "GET", &format!("/v1/webhooks/{moved}/deliveries"), None);
    let d = &list["items"][0];
    assert_eq!(d["state"], "pending", "{list}");
    assert_eq!(d["last_status"], 302);
    assert!(
        d["last_error"].as_str().unwrap().contains("redirects are not followed"),
        "{d}"
    );
    assert!(!receiver.received().iter().any(|r| r.path.contains("redirected")));

    // Sent again on request, under the same id.
    let path = format!("/v1/webhooks/{hook}/deliveries/{}/redelivery", got[0].id);
    assert_eq!(call(&base, "POST", &path, None).0, 202);
    let again = receiver.until_delivered(2, Duration::from_secs(10)).await;
    assert_eq!(again[1].id, got[0].id);
    assert_eq!(again[1].body, got[0].body, "the same event");
    // The receiver has it; the registry records its answer a moment later (a CI run read the
    // list in between).
    let mut list = serde_json::Value::Null;
    for _ in 0..100 {
        list = call(
            &base,
            "GET",
            &format!("/v1/webhooks/{hook}/deliveries?state=delivered"),
            None,
        )
        .1;
        if list["items"][0]["attempts"] == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(list["items"][0]["attempts"], 5, "{list}");

    // Paused: new events wait; deleted: gone with its deliveries.
    let (status, paused) = call(
        &base,
        "PATCH",
        &format!("/v1/webhooks/{moved}"),
        Some(&json!({"active": false})),
    );
    assert_eq!((status, paused["active"].clone()), (200, json!(false)));
    assert_eq!(call(&base, "DELETE", &format!("/v1/webhooks/{moved}"), None).0, 200);
    assert_eq!(
        call(&base, "GET", &format!("/v1/webhooks/{moved}/deliveries"), None).0,
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_urls_must_be_http_public_and_the_operations_are_for_unscoped_admins() {
    let strict = Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    let base = format!("http://127.0.0.1:{}", strict.port);
    for (url, says) in [
        ("http://127.0.0.1:9/hook", "loopback, private or link-local"),
        ("http://localhost:9/hook", "loopback, private or link-local"),
        ("http://10.1.2.3/hook", "loopback, private or link-local"),
        (
            "http://169.254.169.254/latest/meta-data",
            "loopback, private or link-local",
        ),
        ("http://[::1]/hook", "loopback, private or link-local"),
        // IPv6 forms that carry a loopback or private IPv4 address, and site-local.
        ("http://[::7f00:1]/hook", "loopback, private or link-local"),
        ("http://[::ffff:0:7f00:1]/hook", "loopback, private or link-local"),
        ("http://[2002:7f00:1::]/hook", "loopback, private or link-local"),
        ("http://[64:ff9b::a00:1]/hook", "loopback, private or link-local"),
        ("http://[2001:0:a00:1::1]/hook", "loopback, private or link-local"),
        ("http://[fec0::1]/hook", "loopback, private or link-local"),
        ("ftp://example.com/hook", "http:// or https://"),
        ("https://user:pw@example.com/hook", "user name or password"),
        ("not a url", "not a URL"),
    ] {
        let (status, p) = call(
            &base,
            "POST",
            "/v1/webhooks",
            Some(&json!({"url": url, "events": ["*"]})),
        );
        assert_eq!(status, 422, "{url}: {p}");
        assert_eq!(p["type"], "https://schemareg.dev/problems/invalid-webhook");
        assert!(p["detail"].as_str().unwrap().contains(says), "{url}: {p}");
    }
    let (status, p) = call(
        &base,
        "POST",
        "/v1/webhooks",
        Some(&json!({"url": "https://example.com/hook", "events": ["plan.exploded"]})),
    );
    assert_eq!(status, 422);
    assert!(p["detail"].as_str().unwrap().contains("plan.pending_approval"), "{p}");
    let (status, _) = call(
        &base,
        "POST",
        "/v1/webhooks",
        Some(&json!({"url": "https://example.com/hook", "events": ["*"], "service": "nope"})),
    );
    assert_eq!(status, 422);
    let approver = token_as("alice", &[Role::Approver]);
    assert_eq!(call_as(&approver, &base, "GET", "/v1/webhooks", None).0, 403);
    assert_eq!(call(&base, "GET", "/v1/webhooks/wh_none", None).0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_that_keeps_failing_is_dead_when_its_retry_window_ends() {
    let mut settings = LOOPBACK.to_vec();
    settings.push(("SCHEMAREG_WEBHOOK_RETRY_SECS", "2"));
    let served = Served::start(&settings).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    let receiver = Receiver::start(None, 0).await;
    let (hook, _) = subscribe(&base, &receiver.url("/broken"), &["version.pushed"]);
    shop(&base, Some("CREATE TABLE items (id bigint PRIMARY KEY);"));
    let path = format!("/v1/webhooks/{hook}/deliveries?state=dead");
    let started = Instant::now();
    let dead = loop {
        let (_, list) = call(&base, "GET", &path, None);
        if let Some(d) = list["items"].get(0) {
            break d.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(15), "not dead yet");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(dead["last_status"], 500);
    assert!(dead["attempts"].as_i64().unwrap() >= 2, "{dead}");
    let tried = receiver.received().len();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.received().len(), tried, "a dead delivery is not tried again");
}

/// Settings of replicas on one PostgreSQL store, with one secret key.
fn on_store(store: &str) -> Vec<(&'static str, String)> {
    let mut settings: Vec<(&'static str, String)> = LOOPBACK.iter().map(|(k, v)| (*k, v.to_string())).collect();
    settings.push(("SCHEMAREG_STORE_URL", store.to_string()));
    settings.push((
        "SCHEMAREG_SECRET_KEY",
        "c2NoZW1hcmVnLXRlc3Qtc2VjcmV0LWtleS0zMmJ5dGU=".into(),
    ));
    settings.push(("SCHEMAREG_WEBHOOK_TIMEOUT_SECS", "2".into()));
    settings
}

async fn start_on(settings: &[(&'static str, String)]) -> Served {
    let s: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Served::start(&s).await
}

async fn push_versions(base: &str, n: usize) {
    for i in 0..n {
        let ddl = format!("CREATE TABLE t{i} (id bigint PRIMARY KEY);");
        assert_eq!(
            call_raw(base, "POST", "/v1/services/shop/versions", "application/sql", &ddl).0,
            201
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_events_queued_when_the_registry_is_killed_are_delivered_after_it_starts_again() {
    let store = TestDb::new().await;
    let settings = on_store(&store.url());
    let first = start_on(&settings).await;
    let base = format!("http://127.0.0.1:{}", first.port);
    // Nobody listens there yet: every attempt fails to connect.
    let port = free_port();
    subscribe(&base, &format!("http://127.0.0.1:{port}/hook"), &["version.pushed"]);
    assert_eq!(
        call(&base, "POST", "/v1/services", Some(&json!({"name": "shop"}))).0,
        201
    );
    push_versions(&base, 20).await;
    first.kill();

    let receiver = Receiver::start(Some(port), 0).await;
    let again = start_on(&settings).await;
    let got = receiver.until_delivered(20, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let subjects: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.event()["subject"].as_str().unwrap().to_string())
        .collect();
    let wanted: Vec<String> = (1..=20).map(|n| n.to_string()).collect();
    assert_eq!(subjects, wanted, "each version once, in order");
    assert_eq!(got.len(), 20);
    drop(again);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_on_one_postgres_store_deliver_each_event_once() {
    let store = TestDb::new().await;
    let settings = on_store(&store.url());
    let a = start_on(&settings).await;
    let b = start_on(&settings).await;
    let (base_a, base_b) = (
        format!("http://127.0.0.1:{}", a.port),
        format!("http://127.0.0.1:{}", b.port),
    );
    let receiver = Receiver::start(None, 0).await;
    let (_, secret) = subscribe(&base_a, &receiver.url("/hook"), &["version.pushed"]);
    assert_eq!(
        call(&base_b, "POST", "/v1/services", Some(&json!({"name": "shop"}))).0,
        201
    );
    for round in 0..10 {
        for (i, base) in [&base_a, &base_b].iter().enumerate() {
            let ddl = format!("CREATE TABLE t{round}_{i} (id bigint PRIMARY KEY);");
            assert_eq!(
                call_raw(base, "POST", "/v1/services/shop/versions", "application/sql", &ddl).0,
                201
            );
        }
    }
    receiver.until_delivered(20, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = receiver.received();
    let mut ids: Vec<&str> = received.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), 20, "twenty requests for twenty events");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20, "no event twice");
    let subjects: Vec<i64> = received
        .iter()
        .map(|r| r.event()["subject"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(subjects, (1..=20).collect::<Vec<_>>(), "in order");
    let verdicts = verified_by_the_reference(&secret, &received.iter().map(as_sent).collect::<Vec<_>>());
    assert!(verdicts.iter().all(|v| v == "ok"), "{verdicts:?}");
}

/// A receiver that takes connections and never answers; stopped when dropped.
struct Silent {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Silent {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        Self { port, task }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Ten receivers that never answer do not hold back an eleventh that does (issue 31, item 9):
/// each subscription has its own delivery in flight, and the fast one's is sent at once, not
/// after a slow one's timeout.
#[tokio::test(flavor = "multi_thread")]
async fn slow_receivers_do_not_hold_back_a_fast_one() {
    let mut settings: Vec<(&str, &str)> = LOOPBACK.to_vec();
    settings.push(("SCHEMAREG_WEBHOOK_TIMEOUT_SECS", "8"));
    let served = Served::start(&settings).await;
    let base = served.base();
    shop(&base, None);
    let silent: Vec<Silent> = futures_util::future::join_all((0..10).map(|_| Silent::start())).await;
    for s in &silent {
        subscribe(&base, &format!("http://127.0.0.1:{}/hook", s.port), &["version.pushed"]);
    }
    // Subscribed last: the claims come in the order of the subscriptions.
    let fast = Receiver::start(None, 0).await;
    subscribe(&base, &fast.url("/hook"), &["version.pushed"]);
    let pushed = Instant::now();
    push_versions(&base, 1).await;
    let got = fast.until_delivered(1, Duration::from_secs(20)).await;
    let waited = got[0].at.duration_since(pushed);
    assert!(
        waited < Duration::from_secs(4),
        "the fast receiver waited {waited:?} behind ten slow ones (their timeout is 8 s)"
    );
}
