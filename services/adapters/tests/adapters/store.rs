//! The store's test suite, run against both backends: SQLite in a temporary file and
//! PostgreSQL in a database of its own.

use std::collections::BTreeMap;

use schemareg_adapters::store::{
    Approval, Attempt, AuditFilter, BindingGlance, DeliveryState, DriftGlance, DriftRecord, DriftState, EventKind,
    NewAuditEntry, NewBinding, NewPlan, NewService, NewVersion, NewWebhook, PendingGlance, PlanBody, PlanOutcome,
    PlanState, ScopeSpec, SecretKind, ServiceGlance, Store, StoreError, Tried, VersionRef, WebhookChange,
};

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread")]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/nested/store.db", dir.path().display());
                let store = schemareg_adapters::store::Store::open(&url).await.unwrap();
                super::$name(&store).await;
                store.close().await;
                // Opening again finds the migrations applied.
                let again = schemareg_adapters::store::Store::open(&url).await.unwrap();
                again.ping().await.unwrap();
                again.close().await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn postgres() {
                let db = schemareg_adapters::testing::TestDb::new().await;
                let store = schemareg_adapters::store::Store::open(&db.url()).await.unwrap();
                super::$name(&store).await;
                store.close().await;
                let again = schemareg_adapters::store::Store::open(&db.url()).await.unwrap();
                again.ping().await.unwrap();
                again.close().await;
            }
        }
    )* };
}

on_both_backends!(
    services,
    versions,
    concurrent_pushes,
    environments_and_bindings,
    plans,
    audit,
    outbox_and_deliveries,
    overview
);

fn service(name: &str) -> NewService {
    NewService {
        name: name.into(),
        description: format!("the {name} service"),
        owners: vec!["team-a".into()],
        scope: ScopeSpec {
            patterns: vec!["public".into()],
            presets: vec!["supabase".into()],
        },
        created_by: "alice".into(),
    }
}

fn version(digest: &str) -> NewVersion {
    NewVersion {
        digest: digest.into(),
        snapshot: format!("{{\"format\":1,\"d\":\"{digest}\"}}"),
        source: "json".into(),
        pushed_by: "ci".into(),
        commit: Some("abc123".into()),
        pipeline_url: None,
        labels: BTreeMap::from([("branch".to_string(), "main".to_string())]),
    }
}

async fn services(store: &Store) {
    let created = store.create_service(&service("billing")).await.unwrap();
    assert_eq!(created.owners, ["team-a"]);
    assert!(matches!(
        store.create_service(&service("billing")).await,
        Err(StoreError::Conflict(m)) if m.contains("billing")
    ));
    for name in ["alpha", "zeta", "gamma"] {
        store.create_service(&service(name)).await.unwrap();
    }
    let read = store.service("billing").await.unwrap().unwrap();
    assert_eq!(read, created);
    assert!(store.service("nothing").await.unwrap().is_none());
    let first: Vec<_> = store
        .services(None, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(first, ["alpha", "billing"]);
    let rest: Vec<_> = store
        .services(Some("billing"), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(rest, ["gamma", "zeta"]);
    assert!(matches!(
        store.existing_service("nothing").await,
        Err(StoreError::NotFound(_))
    ));
}

async fn versions(store: &Store) {
    store.create_service(&service("billing")).await.unwrap();
    store.create_service(&service("other")).await.unwrap();
    assert!(matches!(
        store.existing_version("billing", &VersionRef::Latest).await,
        Err(StoreError::NotFound(m)) if m.contains("no versions")
    ));
    let one = store.push_version("billing", &version("sha256:a")).await.unwrap();
    assert_eq!((one.version.number, one.created), (1, true));
    let again = store.push_version("billing", &version("sha256:a")).await.unwrap();
    assert_eq!((again.version.number, again.created), (1, false));
    assert_eq!(again.version, one.version);
    let two = store.push_version("billing", &version("sha256:b")).await.unwrap();
    assert_eq!((two.version.number, two.created), (2, true));
    // Numbers are per service.
    let other = store.push_version("other", &version("sha256:b")).await.unwrap();
    assert_eq!(other.version.number, 1);

    let latest = store.existing_version("billing", &VersionRef::Latest).await.unwrap();
    assert_eq!(latest.digest, "sha256:b");
    let by_digest = store
        .existing_version("billing", &VersionRef::Digest("sha256:a".into()))
        .await
        .unwrap();
    assert_eq!(by_digest.number, 1);
    assert_eq!(by_digest.labels["branch"], "main");
    assert_eq!(by_digest.commit.as_deref(), Some("abc123"));
    assert!(
        store
            .version("billing", &VersionRef::Number(3))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.snapshot("billing", 1).await.unwrap(),
        "{\"format\":1,\"d\":\"sha256:a\"}"
    );
    for d in ["c", "d", "e"] {
        store
            .push_version("billing", &version(&format!("sha256:{d}")))
            .await
            .unwrap();
    }
    let page: Vec<_> = store
        .versions("billing", None, 2)
        .await
        .unwrap()
        .iter()
        .map(|v| v.number)
        .collect();
    assert_eq!(page, [5, 4]);
    let page: Vec<_> = store
        .versions("billing", Some(4), 10)
        .await
        .unwrap()
        .iter()
        .map(|v| v.number)
        .collect();
    assert_eq!(page, [3, 2, 1]);
    assert_eq!(store.version_count("billing").await.unwrap(), 5);
    let latest: Vec<_> = store
        .latest_versions()
        .await
        .unwrap()
        .into_iter()
        .map(|(s, v)| (s, v.number))
        .collect();
    assert_eq!(latest, [("billing".to_string(), 5), ("other".to_string(), 1)]);
}

async fn concurrent_pushes(store: &Store) {
    store.create_service(&service("billing")).await.unwrap();
    store.push_version("billing", &version("sha256:first")).await.unwrap();
    let pushes = (0..20).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.push_version("billing", &version("sha256:same")).await.unwrap() })
    });
    let results = futures_util::future::join_all(pushes).await;
    let numbers: Vec<i64> = results.iter().map(|r| r.as_ref().unwrap().version.number).collect();
    assert!(numbers.iter().all(|n| *n == 2), "{numbers:?}");
    assert_eq!(results.iter().filter(|r| r.as_ref().unwrap().created).count(), 1);
    // Different snapshots at once get distinct numbers.
    let pushes = (0..10).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .push_version("billing", &version(&format!("sha256:n{i}")))
                .await
                .unwrap()
        })
    });
    let mut numbers: Vec<i64> = futures_util::future::join_all(pushes)
        .await
        .into_iter()
        .map(|r| r.unwrap().version.number)
        .collect();
    numbers.sort();
    assert_eq!(numbers, (3..=12).collect::<Vec<_>>());
    assert_eq!(store.version_count("billing").await.unwrap(), 12);
}

async fn environments_and_bindings(store: &Store) {
    let names: Vec<_> = store
        .environments()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["dev", "staging", "production"]);
    let qa = store.create_environment("qa").await.unwrap();
    assert_eq!(qa.position, 4);
    assert!(matches!(
        store.create_environment("qa").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.existing_environment("nope").await,
        Err(StoreError::NotFound(_))
    ));

    store.create_service(&service("billing")).await.unwrap();
    assert!(store.binding("billing", "dev").await.unwrap().is_none());
    let new = NewBinding {
        secret_kind: SecretKind::Env,
        secret: "BILLING_DEV_URL".into(),
        host: Some("db.internal".into()),
        scope: ScopeSpec::default(),
        updated_by: "admin".into(),
    };
    let bound = store.put_binding("billing", "dev", &new).await.unwrap();
    assert_eq!((bound.secret_kind, bound.drift.clone()), (SecretKind::Env, None));
    let drift = DriftRecord {
        state: DriftState::InSync,
        version: Some(1),
        checked_at: "2026-11-25T10:00:00Z".into(),
        fingerprint: Some("sha256:live".into()),
        changes: Some("[]".into()),
        sql: Some(String::new()),
        changed: Some(0),
        reason: None,
        ok_at: Some("2026-11-25T10:00:00Z".into()),
    };
    store.record_drift("billing", "dev", &drift).await.unwrap();
    let read = store.existing_binding("billing", "dev").await.unwrap();
    assert_eq!((read.drift, read.verified_version), (Some(drift.clone()), Some(1)));
    let drifted = DriftRecord {
        state: DriftState::Drifted,
        version: Some(2),
        ..drift
    };
    store.record_drift("billing", "dev", &drifted).await.unwrap();
    let read = store.existing_binding("billing", "dev").await.unwrap();
    assert_eq!(
        read.verified_version,
        Some(1),
        "a drifted check keeps the last verified version"
    );
    // A database that could not be read: unknown, and the last successful read's time stays.
    let unknown = DriftRecord {
        state: DriftState::Unknown,
        checked_at: "2026-11-25T10:05:00Z".into(),
        fingerprint: None,
        changes: None,
        sql: None,
        changed: None,
        reason: Some("the database does not answer".into()),
        ok_at: None,
        ..drifted.clone()
    };
    store.record_drift("billing", "dev", &unknown).await.unwrap();
    let read = store.existing_binding("billing", "dev").await.unwrap().drift.unwrap();
    assert_eq!(read.state, DriftState::Unknown);
    assert_eq!(read.ok_at.as_deref(), Some("2026-11-25T10:00:00Z"));
    // One claim on a binding's next drift check at a time.
    assert!(store.claim_drift_check("billing", "dev", 60).await.unwrap());
    assert!(!store.claim_drift_check("billing", "dev", 60).await.unwrap());
    // Rebinding replaces the secret and forgets the drift record.
    let rebound = store
        .put_binding(
            "billing",
            "dev",
            &NewBinding {
                secret_kind: SecretKind::Encrypted,
                secret: "v1:cipher".into(),
                ..new
            },
        )
        .await
        .unwrap();
    assert_eq!((rebound.secret_kind, rebound.drift), (SecretKind::Encrypted, None));
    assert_eq!(store.bindings().await.unwrap().len(), 1);
}

async fn plans(store: &Store) {
    store.create_service(&service("billing")).await.unwrap();
    let new = |id: &str| NewPlan {
        id: id.into(),
        service: "billing".into(),
        environment: "dev".into(),
        to_version: 1,
        to_digest: "sha256:a".into(),
        requested_by: "deployer".into(),
        lease_secs: 60,
        override_reason: None,
    };
    let p = store.create_plan(&new("plan-1")).await.unwrap();
    assert_eq!(p.state, PlanState::Computing);
    let body = PlanBody {
        plan: schemareg_engine::plan::plan(&Default::default(), &Default::default(), &Default::default()),
        hazards: Vec::new(),
        sql: "SET lock_timeout = '10s';".into(),
        rollback_sql: String::new(),
        lock_timeout: "10s".into(),
        statement_timeout: "30min".into(),
    };
    let outcome = PlanOutcome {
        state: PlanState::PendingApproval,
        from_fingerprint: Some("sha256:live".into()),
        body: Some(body.clone()),
        verification: Some("verified".into()),
        error: None,
        plan_digest: Some("sha256:plan".into()),
    };
    store.finish_plan("plan-1", &outcome).await.unwrap();
    let done = store.existing_plan("plan-1").await.unwrap();
    assert_eq!(
        (done.state, done.body.as_ref(), done.from_fingerprint.as_deref()),
        (PlanState::PendingApproval, Some(&body), Some("sha256:live"))
    );
    // A finished plan is not finished twice.
    store
        .finish_plan(
            "plan-1",
            &PlanOutcome {
                state: PlanState::Failed,
                ..outcome
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.existing_plan("plan-1").await.unwrap().state,
        PlanState::PendingApproval
    );
    // A plan whose lease ran out is abandoned; one whose registry renews it is not.
    store
        .create_plan(&NewPlan {
            lease_secs: 0,
            environment: "staging".into(),
            ..new("plan-2")
        })
        .await
        .unwrap();
    store
        .create_plan(&NewPlan {
            lease_secs: 0,
            environment: "production".into(),
            ..new("plan-3")
        })
        .await
        .unwrap();
    store.renew_plan("plan-3", 60).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(store.fail_abandoned_plans().await.unwrap(), 1);
    let failed = store.existing_plan("plan-2").await.unwrap();
    assert_eq!(failed.state, PlanState::Failed);
    assert!(failed.error.unwrap().contains("stopped"));
    assert_eq!(store.existing_plan("plan-3").await.unwrap().state, PlanState::Computing);
    assert_eq!(store.plans("billing", None, None, 10).await.unwrap().len(), 3);
    assert_eq!(store.plans("billing", Some("dev"), None, 10).await.unwrap().len(), 1);
    let pending = store
        .plans("billing", None, Some(PlanState::PendingApproval), 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    let everywhere = store.plans_in_state(PlanState::PendingApproval).await.unwrap();
    assert_eq!(everywhere.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["plan-1"]);
    assert!(matches!(
        store.existing_plan("nope").await,
        Err(StoreError::NotFound(_))
    ));

    // Transitions happen only from the states named.
    let moved = store
        .transition_plan(
            "plan-1",
            &[PlanState::PendingApproval],
            PlanState::Approved,
            None,
            "alice",
        )
        .await
        .unwrap();
    assert!(moved);
    let again = store
        .transition_plan(
            "plan-1",
            &[PlanState::PendingApproval],
            PlanState::Rejected,
            Some("no"),
            "bob",
        )
        .await
        .unwrap();
    assert!(!again, "an approved plan is not pending any more");
    let p1 = store.existing_plan("plan-1").await.unwrap();
    assert_eq!(
        (p1.state, p1.plan_digest.as_deref()),
        (PlanState::Approved, Some("sha256:plan"))
    );
    // A newer plan for the same service and environment supersedes the open ones there only.
    store.create_plan(&new("plan-4")).await.unwrap();
    for (id, state) in [
        ("plan-1", PlanState::Superseded),
        ("plan-2", PlanState::Failed),
        ("plan-3", PlanState::Computing),
        ("plan-4", PlanState::Computing),
    ] {
        assert_eq!(store.existing_plan(id).await.unwrap().state, state, "{id}");
    }

    // Approvals: once per person, bound to a digest.
    let approval = Approval {
        plan_id: "plan-4".into(),
        approver: "alice".into(),
        roles: vec!["approver".into()],
        plan_digest: "sha256:plan".into(),
        comment: "ok".into(),
        at: String::new(),
    };
    store.add_approval(&approval).await.unwrap();
    assert!(matches!(store.add_approval(&approval).await, Err(StoreError::Conflict(m)) if m.contains("alice")));
    store
        .add_approval(&Approval {
            approver: "bob".into(),
            ..approval.clone()
        })
        .await
        .unwrap();
    let given = store.approvals("plan-4").await.unwrap();
    assert_eq!(
        given.iter().map(|a| a.approver.as_str()).collect::<Vec<_>>(),
        ["alice", "bob"]
    );
    assert_eq!(given[0].roles, ["approver"]);
}

async fn audit(store: &Store) {
    let entry = |subject: &str, action: &str| NewAuditEntry {
        subject: subject.into(),
        action: action.into(),
        outcome: "ok".into(),
        service: Some("billing".into()),
        detail: "{}".into(),
        request_id: Some("req-1".into()),
        ..NewAuditEntry::default()
    };
    assert_eq!(store.append_audit(&entry("alice", "service.create")).await.unwrap(), 1);
    // Concurrent appends get distinct numbers without gaps.
    let appends = (0..20).map(|i| {
        let store = store.clone();
        let e = entry(if i % 2 == 0 { "bob" } else { "carol" }, "version.push");
        tokio::spawn(async move { store.append_audit(&e).await.unwrap() })
    });
    let mut seqs: Vec<i64> = futures_util::future::join_all(appends)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    seqs.sort();
    assert_eq!(seqs, (2..=21).collect::<Vec<_>>());
    let all = store.audit_entries(&AuditFilter::default(), None, 100).await.unwrap();
    assert_eq!(all.len(), 21);
    assert_eq!(
        (all[0].seq, all[0].entry.clone()),
        (1, entry("alice", "service.create"))
    );
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq && w[0].at <= w[1].at));
    let bob = AuditFilter {
        subject: Some("bob".into()),
        ..AuditFilter::default()
    };
    let page = store.audit_entries(&bob, None, 4).await.unwrap();
    assert_eq!(page.len(), 4);
    let rest = store.audit_entries(&bob, Some(page[3].seq), 100).await.unwrap();
    assert_eq!(page.len() + rest.len(), 10);
    assert!(rest.iter().all(|e| e.entry.subject == "bob" && e.seq > page[3].seq));

    // Anonymous denials from one address within a minute share an entry; another address
    // has its own.
    let denial = |address: &str| NewAuditEntry {
        subject: "anonymous".into(),
        action: "denied".into(),
        outcome: "denied".into(),
        detail: "{}".into(),
        address: Some(address.into()),
        ..NewAuditEntry::default()
    };
    let first = store.append_anonymous_denial(&denial("10.0.0.1")).await.unwrap();
    assert_eq!(first, 22);
    assert_eq!(store.append_anonymous_denial(&denial("10.0.0.1")).await.unwrap(), 22);
    assert_eq!(store.append_anonymous_denial(&denial("10.0.0.2")).await.unwrap(), 23);
    store.count_repeats(22, 5).await.unwrap();
    let all = store
        .audit_entries(&AuditFilter::default(), Some(21), 100)
        .await
        .unwrap();
    let counts: Vec<(i64, i64)> = all.iter().map(|e| (e.seq, e.repeats)).collect();
    assert_eq!(counts, [(22, 7), (23, 1)]);
    assert!(all[0].last_at.is_some() && all[1].last_at.is_none());

    // A retention lets old entries go, the newest always kept: the numbers go on from it.
    let gone = store.forget_audit_before("9999-01-01T00:00:00.000Z").await.unwrap();
    assert_eq!(gone, 22);
    let left = store.audit_entries(&AuditFilter::default(), None, 100).await.unwrap();
    assert_eq!(left.iter().map(|e| e.seq).collect::<Vec<_>>(), [23]);
    assert_eq!(store.append_audit(&entry("dave", "service.create")).await.unwrap(), 24);
    assert_eq!(store.forget_audit_before("2000-01-01T00:00:00.000Z").await.unwrap(), 0);
}

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
    store.create_service(&service("billing")).await.unwrap();
    store.create_service(&service("other")).await.unwrap();
    let pushes = Some(vec![EventKind::VersionPushed]);
    store
        .create_webhook(&webhook("wh_a", pushes, Some("billing"), None))
        .await
        .unwrap();
    store
        .create_webhook(&webhook("wh_b", None, None, Some("staging")))
        .await
        .unwrap();
    store.push_version("billing", &version("sha256:1")).await.unwrap();
    store.push_version("billing", &version("sha256:1")).await.unwrap();
    store.push_version("billing", &version("sha256:2")).await.unwrap();
    store.push_version("other", &version("sha256:1")).await.unwrap();
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
                "alice"
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
    let (again, _) = store.redeliver("wh_a", &id).await.unwrap();
    assert_eq!(again.state, DeliveryState::Pending);

    // Paused: its deliveries are not claimed; deleted: gone with them.
    store
        .update_webhook(
            "wh_a",
            &WebhookChange {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store.release_deliveries("r2").await.unwrap();
    assert!(store.claim_deliveries("r3", 30, 10).await.unwrap().is_empty());
    store.delete_webhook("wh_a").await.unwrap();
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
        one.create_service(&service(s)).await.unwrap();
    }
    one.create_webhook(&webhook("wh_all", None, None, None)).await.unwrap();
    // In step: each round, one push on each, so that their counters are equal.
    for i in 0..100 {
        let v = version(&format!("sha256:{i}"));
        let (a, b) = tokio::join!(one.push_version("a", &v), two.push_version("b", &v));
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

/// The overview's read: every service with its latest version, every binding with its last
/// check (no secret), the plans waiting for approval; empty lists on an empty store.
async fn overview(store: &Store) {
    let empty = store.overview_read().await.unwrap();
    assert!(empty.services.is_empty() && empty.bindings.is_empty() && empty.pending.is_empty());
    for name in ["billing", "auth", "idle"] {
        store.create_service(&service(name)).await.unwrap();
    }
    store.push_version("billing", &version("sha256:1")).await.unwrap();
    store.push_version("billing", &version("sha256:2")).await.unwrap();
    store.push_version("auth", &version("sha256:a")).await.unwrap();
    let new = NewBinding {
        secret_kind: SecretKind::Env,
        secret: "SECRET_NEVER_READ".into(),
        host: Some("db.internal:5432".into()),
        scope: ScopeSpec::default(),
        updated_by: "admin".into(),
    };
    store.put_binding("billing", "dev", &new).await.unwrap();
    store
        .put_binding(
            "auth",
            "dev",
            &NewBinding {
                host: None,
                ..new.clone()
            },
        )
        .await
        .unwrap();
    store
        .record_drift(
            "billing",
            "dev",
            &DriftRecord {
                state: DriftState::Drifted,
                version: Some(2),
                checked_at: "2026-11-25T10:00:00Z".into(),
                fingerprint: Some("sha256:live".into()),
                changes: Some("[{}]".into()),
                sql: Some("ALTER TABLE t ADD COLUMN 'it''s' text;".into()),
                changed: Some(3),
                reason: None,
                ok_at: Some("2026-11-25T10:00:00Z".into()),
            },
        )
        .await
        .unwrap();
    for (id, environment) in [("plan-b", "staging"), ("plan-a", "dev")] {
        store
            .create_plan(&NewPlan {
                id: id.into(),
                service: "billing".into(),
                environment: environment.into(),
                to_version: 2,
                to_digest: "sha256:2".into(),
                requested_by: "deployer".into(),
                lease_secs: 60,
                override_reason: None,
            })
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    store
        .finish_plan(
            "plan-b",
            &PlanOutcome {
                state: PlanState::PendingApproval,
                from_fingerprint: None,
                body: None,
                verification: None,
                error: None,
                plan_digest: None,
            },
        )
        .await
        .unwrap();
    let read = store.overview_read().await.unwrap();
    assert_eq!(
        read.services,
        [
            ServiceGlance {
                name: "auth".into(),
                latest_version: Some(1),
                latest_digest: Some("sha256:a".into())
            },
            ServiceGlance {
                name: "billing".into(),
                latest_version: Some(2),
                latest_digest: Some("sha256:2".into())
            },
            ServiceGlance {
                name: "idle".into(),
                latest_version: None,
                latest_digest: None
            },
        ]
    );
    assert_eq!(
        read.bindings,
        [
            BindingGlance {
                service: "auth".into(),
                environment: "dev".into(),
                host: None,
                applied_version: None,
                verified_version: None,
                drift: None,
            },
            BindingGlance {
                service: "billing".into(),
                environment: "dev".into(),
                host: Some("db.internal:5432".into()),
                applied_version: None,
                verified_version: None,
                drift: Some(DriftGlance {
                    state: DriftState::Drifted,
                    checked_at: "2026-11-25T10:00:00Z".into(),
                    changed: Some(3),
                    reason: None,
                    ok_at: Some("2026-11-25T10:00:00Z".into()),
                }),
            },
        ]
    );
    assert_eq!(
        read.pending,
        [PendingGlance {
            id: "plan-b".into(),
            service: "billing".into(),
            environment: "staging".into()
        }],
        "only the plan waiting for approval (the other is still computing)"
    );
}
