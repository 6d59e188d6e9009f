//! Deliveries: retried with growing waits until the receiver takes the event, redirects not
//! followed, sent again on request, dead when the retry window ends, and never held back by
//! receivers that do not answer.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::served::{Served, call, shop};

use super::receiver::{Received, Receiver, Silent};
use super::{LOOPBACK, push_versions, subscribe};

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
