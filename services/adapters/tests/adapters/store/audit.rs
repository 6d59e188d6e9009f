//! The audit log in the store: numbered without gaps, filtered and paged, anonymous denials
//! folded together, and old entries let go.

use schemareg_adapters::store::{AuditFilter, NewAuditEntry, Store};

on_both_backends!(audit);

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

on_both_backends!(changes_and_their_entries_are_written_together);

/// A change writes its audit entries in its own transaction: a change that happens has them,
/// one refused (a name taken, a plan moved by another request first, a policy read stale, a
/// version already there) has none, and so does nothing that did not happen.
async fn changes_and_their_entries_are_written_together(store: &Store) {
    use schemareg_adapters::store::{FinishedApply, NewPlan, PlanState, StoreError};
    let said = |action: &str| NewAuditEntry {
        subject: "alice".into(),
        action: action.into(),
        outcome: "ok".into(),
        detail: "{}".into(),
        ..NewAuditEntry::default()
    };
    let actions = || async {
        let all = store.audit_entries(&AuditFilter::default(), None, 100).await.unwrap();
        all.into_iter().map(|e| e.entry.action).collect::<Vec<_>>()
    };
    let billing = super::service("billing");
    store.create_service(&billing, &[said("service.create")]).await.unwrap();
    let taken = store.create_service(&billing, &[said("service.create")]).await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert_eq!(actions().await, ["service.create"]);

    store
        .create_environment("qa", |_| vec![said("environment.create")])
        .await
        .unwrap();
    assert!(
        store
            .create_environment("qa", |_| vec![said("environment.create")])
            .await
            .is_err()
    );
    store
        .put_policy("qa", 0, "{}", "alice", &[said("policy.put")])
        .await
        .unwrap();
    let stale = store.put_policy("qa", 0, "{}", "alice", &[said("policy.put")]).await;
    assert!(matches!(stale, Err(StoreError::Stale(_))), "{stale:?}");
    assert_eq!(actions().await, ["service.create", "environment.create", "policy.put"]);

    let pushed = store
        .push_version("billing", &super::version("sha256:a"), |v| {
            vec![NewAuditEntry {
                target: Some(v.number.to_string()),
                ..said("version.push")
            }]
        })
        .await
        .unwrap();
    assert!(pushed.created);
    let again = store
        .push_version("billing", &super::version("sha256:a"), |_| vec![said("version.push")])
        .await
        .unwrap();
    assert!(!again.created, "a push of what is there is a read");
    let entries = store.audit_entries(&AuditFilter::default(), None, 100).await.unwrap();
    assert_eq!(entries.last().unwrap().entry.target.as_deref(), Some("1"));

    let plan = NewPlan {
        id: "plan-1".into(),
        service: "billing".into(),
        environment: "dev".into(),
        to_version: 1,
        to_digest: "sha256:a".into(),
        requested_by: "alice".into(),
        lease_secs: 60,
        override_reason: None,
    };
    store
        .create_plan(&plan, &[said("plan.create"), said("plan.override")])
        .await
        .unwrap();
    // Moved by one request; the second finds it moved and writes nothing.
    let from = [PlanState::Computing];
    assert!(
        store
            .transition_plan(
                "plan-1",
                &from,
                PlanState::Cancelled,
                None,
                "alice",
                &[said("plan.cancel")]
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .transition_plan(
                "plan-1",
                &from,
                PlanState::Cancelled,
                None,
                "bob",
                &[said("plan.cancel")]
            )
            .await
            .unwrap()
    );
    // An apply's end on a plan no longer applying moves nothing, but what ran is recorded.
    let finished = FinishedApply {
        to: PlanState::Verified,
        error: None,
        steps_log: Some("[]".into()),
        verification: Some("verified".into()),
        applied: true,
    };
    store
        .finish_apply("plan-1", &finished, &[said("plan.apply")])
        .await
        .unwrap();
    assert_eq!(store.existing_plan("plan-1").await.unwrap().state, PlanState::Cancelled);
    assert_eq!(
        actions().await[3..],
        [
            "version.push",
            "plan.create",
            "plan.override",
            "plan.cancel",
            "plan.apply"
        ]
    );
}
