//! Webhooks in the store: events written with their change and queued per subscription,
//! deliveries claimed one owner at a time, and two registries writing events side by side.

use schemareg_adapters::store::{
    Attempt, DeliveryState, EventKind, NewWebhook, PlanState, Store, StoreError, Tried, WebhookChange,
};

use super::{service, version};

on_both_backends!(outbox_and_deliveries);

fn webhook(id: &str, events: Option<Vec<EventKind>>, service: Option<&str>, environment: Option<&str>) -> NewWebhook {
    NewWebhook {
        id: id.into(),
        url: format!("https://hooks.example/{id}"),
        events,
        service: service.map(str::to_string),
        environment: environment.map(str::to_string),
        secret: "v1:encrypted".into(),
        description: String::new(),
        created_by: "root".into(),
    }
}

fn attempt(number: i64) -> Attempt {
    Attempt {
        number,
        at: schemareg_adapters::store::now(),
        duration_ms: 3,
        status: Some(503),
        response: Some("busy".into()),
        error: Some("the receiver answered 503".into()),
    }
}

/// Events are written with the change that causes them and queued per matching subscription;
/// a subscription's deliveries are claimed one at a time in event order, by one owner each.
async fn outbox_and_deliveries(store: &Store) {
    store.create_service(&service("billing"), &[]).await.unwrap();
    store.create_service(&service("other"), &[]).await.unwrap();
    let pushes = Some(vec![EventKind::VersionPushed]);
    store
        .create_webhook(&webhook("wh_a", pushes, Some("billing"), None), &[])
        .await
        .unwrap();
    store
        .create_webhook(&webhook("wh_b", None, None, Some("staging")), &[])
        .await
        .unwrap();
    store
        .push_version("billing", &version("sha256:1"), |_| Vec::new())
        .await
        .unwrap();
    store
        .push_version("billing", &version("sha256:1"), |_| Vec::new())
        .await
        .unwrap();
    store
        .push_version("billing", &version("sha256:2"), |_| Vec::new())
        .await
        .unwrap();
    store
        .push_version("other", &version("sha256:1"), |_| Vec::new())
        .await
        .unwrap();
    let queued = store.deliveries("wh_a", None, None, 10).await.unwrap();
    let subjects: Vec<&str> = queued.iter().map(|d| d.event.subject.as_str()).collect();
    assert_eq!(
        subjects,
        ["2", "1"],
        "billing's two new versions, newest first; the same digest again is no event"
    );
    assert_eq!(queued[0].event.data["version"]["digest"], "sha256:2");
    assert!(
        store.deliveries("wh_b", None, None, 10).await.unwrap().is_empty(),
        "versions are in no environment"
    );

    // A plan move that does not happen writes nothing.
    assert!(
        !store
            .transition_plan(
                "plan-none",
                &[PlanState::PendingApproval],
                PlanState::Approved,
                None,
                "alice",
                &[]
            )
            .await
            .unwrap()
    );

    // One owner holds the head of the queue; the next waits behind it.
    let r1 = store.claim_deliveries("r1", 30, 10).await.unwrap();
    assert_eq!(r1.len(), 1);
    assert_eq!(r1[0].delivery.event.subject, "1");
    assert_eq!(r1[0].url, "https://hooks.example/wh_a");
    assert!(store.claim_deliveries("r2", 30, 10).await.unwrap().is_empty());
    let id = r1[0].delivery.id.clone();
    let past = schemareg_adapters::store::now();
    assert!(
        !store
            .finish_attempt(&id, "r2", &attempt(1), &Tried::Delivered)
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_attempt(&id, "r1", &attempt(1), &Tried::RetryAt(past))
            .await
            .unwrap()
    );
    let r2 = store.claim_deliveries("r2", 30, 10).await.unwrap();
    assert_eq!(
        r2.iter().map(|d| d.delivery.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );
    assert_eq!(r2[0].delivery.attempts, 1);
    assert!(
        store
            .finish_attempt(&id, "r2", &attempt(2), &Tried::Delivered)
            .await
            .unwrap()
    );
    let next = store.claim_deliveries("r1", 30, 10).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].delivery.event.subject, "2");
    store.release_deliveries("r1").await.unwrap();
    assert_eq!(
        store.claim_deliveries("r2", 30, 10).await.unwrap().len(),
        1,
        "released: another takes it at once"
    );

    let (done, attempts) = store.existing_delivery("wh_a", &id).await.unwrap();
    assert_eq!(done.state, DeliveryState::Delivered);
    assert_eq!(attempts.iter().map(|a| a.number).collect::<Vec<_>>(), [1, 2]);
    let (again, _) = store.redeliver("wh_a", &id, &[]).await.unwrap();
    assert_eq!(again.state, DeliveryState::Pending);

    // Paused: its deliveries are not claimed; deleted: gone with them.
    store
        .update_webhook(
            "wh_a",
            &WebhookChange {
                active: Some(false),
                ..Default::default()
            },
            &[],
        )
        .await
        .unwrap();
    store.release_deliveries("r2").await.unwrap();
    assert!(store.claim_deliveries("r3", 30, 10).await.unwrap().is_empty());
    store.delete_webhook("wh_a", &[]).await.unwrap();
    assert!(matches!(
        store.existing_delivery("wh_a", &id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.webhooks().await.unwrap().len(), 1);
}

/// Two registries sharing a PostgreSQL store write events side by side: their sequences never
/// meet (each counts from zero, and both write in the same milliseconds).
#[tokio::test(flavor = "multi_thread")]
async fn two_registries_write_events_side_by_side() {
    let db = schemareg_adapters::testing::TestDb::new().await;
    let one = Store::open(&db.url()).await.unwrap();
    let two = Store::open(&db.url()).await.unwrap();
    for s in ["a", "b"] {
        one.create_service(&service(s), &[]).await.unwrap();
    }
    one.create_webhook(&webhook("wh_all", None, None, None), &[])
        .await
        .unwrap();
    // In step: each round, one push on each, so that their counters are equal.
    for i in 0..100 {
        let v = version(&format!("sha256:{i}"));
        let (a, b) = tokio::join!(
            one.push_version("a", &v, |_| Vec::new()),
            two.push_version("b", &v, |_| Vec::new())
        );
        a.expect("every push writes its event");
        b.expect("every push writes its event");
    }
    let mut seen = 0;
    let mut cursor = None;
    loop {
        let page = one.deliveries("wh_all", None, cursor.as_deref(), 100).await.unwrap();
        if page.is_empty() {
            break;
        }
        seen += page.len();
        cursor = page.last().map(|d| d.seq.clone());
    }
    assert_eq!(seen, 200, "one delivery per version pushed");
    one.close().await;
    two.close().await;
}
