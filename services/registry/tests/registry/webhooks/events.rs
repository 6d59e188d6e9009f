//! The events of a promotion, as a receiver gets them: in order, as CloudEvents with a summary
//! and links, signed the Standard Webhooks way (a tampered body or an old timestamp fails the
//! check), each listed as a delivery.

use std::time::Duration;

use schemareg::auth::Role;
use schemareg_adapters::testing::TestDb;
use serde_json::json;

use crate::served::{Served, call, call_as, call_raw, settled, token_as};

use super::receiver::Receiver;
use super::{LOOPBACK, as_sent, subscribe, verified_by_the_reference};

async fn plan_and_apply(base: &str, environment: &str, approver: Option<&str>) -> String {
    let (status, plan) = call(
        base,
        "POST",
        &format!("/v1/services/shop/environments/{environment}/plans"),
        Some(&json!({})),
    );
    assert!(status == 201 || status == 202, "{plan}");
    let id = plan["id"].as_str().unwrap().to_string();
    let plan = settled(base, &id, Duration::from_secs(60)).await;
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
    assert_eq!(settled(base, &id, Duration::from_secs(60)).await["state"], "verified");
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
