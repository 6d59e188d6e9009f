//! Webhooks across registries on one PostgreSQL store: events queued when a registry is killed
//! are delivered after it starts again, and two replicas send each event once.

use std::time::Duration;

use schemareg_adapters::testing::TestDb;
use serde_json::json;

use crate::common::free_port;
use crate::served::{Served, call, call_raw};

use super::receiver::Receiver;
use super::{LOOPBACK, as_sent, push_versions, subscribe, verified_by_the_reference};

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
