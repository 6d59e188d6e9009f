//! Plans in the store: created, finished once, abandoned when their lease runs out, listed,
//! moved only from the states named, superseded, and approved once per person.

use schemareg_adapters::store::{Approval, NewPlan, PlanBody, PlanOutcome, PlanState, Store, StoreError};

use super::service;

on_both_backends!(plans);

async fn plans(store: &Store) {
    store.create_service(&service("billing"), &[]).await.unwrap();
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
    let p = store.create_plan(&new("plan-1"), &[]).await.unwrap();
    assert_eq!(p.state, PlanState::Computing);
    let body = PlanBody {
        plan: schemareg_engine::plan::plan(&Default::default(), &Default::default(), &Default::default()),
        hazards: Vec::new(),
        sql: "SET lock_timeout = '10s';".into(),
        rollback_sql: String::new(),
        lock_timeout: "10s".into(),
        statement_timeout: "30min".into(),
        data_checks: Vec::new(),
    };
    let outcome = PlanOutcome {
        state: PlanState::PendingApproval,
        from_fingerprint: Some("sha256:live".into()),
        body: Some(body.clone()),
        verification: Some("verified".into()),
        error: None,
        plan_digest: Some("sha256:plan".into()),
    };
    store.finish_plan("plan-1", &outcome, &[]).await.unwrap();
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
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        store.existing_plan("plan-1").await.unwrap().state,
        PlanState::PendingApproval
    );
    // A plan whose lease ran out is abandoned; one whose registry renews it is not.
    store
        .create_plan(
            &NewPlan {
                lease_secs: 0,
                environment: "staging".into(),
                ..new("plan-2")
            },
            &[],
        )
        .await
        .unwrap();
    store
        .create_plan(
            &NewPlan {
                lease_secs: 0,
                environment: "production".into(),
                ..new("plan-3")
            },
            &[],
        )
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
            &[],
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
            &[],
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
    store.create_plan(&new("plan-4"), &[]).await.unwrap();
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
    store.add_approval(&approval, &[]).await.unwrap();
    assert!(matches!(store.add_approval(&approval, &[]).await, Err(StoreError::Conflict(m)) if m.contains("alice")));
    store
        .add_approval(
            &Approval {
                approver: "bob".into(),
                ..approval.clone()
            },
            &[],
        )
        .await
        .unwrap();
    let given = store.approvals("plan-4").await.unwrap();
    assert_eq!(
        given.iter().map(|a| a.approver.as_str()).collect::<Vec<_>>(),
        ["alice", "bob"]
    );
    assert_eq!(given[0].roles, ["approver"]);
}
