//! Environments and bindings in the store: environments created, a service bound in one, its
//! drift records, the claim on its next drift check, and rebinding.

use schemareg_adapters::store::{
    AuditAction, AuditFilter, DriftChange, DriftRecord, DriftState, NewAuditEntry, NewBinding, NewWebhook, ScopeSpec,
    SecretKind, Store, StoreError,
};

use super::service;

on_both_backends!(environments_and_bindings, drift_changes_have_one_name);

/// A check's record, of a state.
fn check(state: DriftState, at: &str) -> DriftRecord {
    let readable = state != DriftState::Unknown;
    DriftRecord {
        state,
        version: Some(1),
        checked_at: at.into(),
        fingerprint: readable.then(|| "sha256:live".into()),
        changes: readable.then(|| "[]".into()),
        sql: readable.then(String::new),
        changed: readable.then_some(if state == DriftState::Drifted { 2 } else { 0 }),
        reason: (!readable).then(|| "the database does not answer".into()),
        ok_at: readable.then(|| at.into()),
    }
}

/// A drift check's change of state is decided once, by the store as it records the check: the
/// action it answers (for the audit log) and the webhook event it writes in the same
/// transaction have one name. A database that could not be read for a while and reads in
/// sync again was never drifted: nothing is `resolved`.
async fn drift_changes_have_one_name(store: &Store) {
    store.create_service(&service("billing"), &[]).await.unwrap();
    let new = NewBinding {
        secret_kind: SecretKind::Env,
        secret: "BILLING_DEV_URL".into(),
        host: None,
        scope: ScopeSpec::default(),
        updated_by: "admin".into(),
    };
    store.put_binding("billing", "dev", &new, &[]).await.unwrap();
    store
        .create_webhook(
            &NewWebhook {
                id: "wh_all".into(),
                url: "https://hooks.example/all".into(),
                events: None,
                service: None,
                environment: None,
                secret: "v1:encrypted".into(),
                description: String::new(),
                created_by: "root".into(),
            },
            &[],
        )
        .await
        .unwrap();
    use DriftState::*;
    let mut actions = Vec::new();
    for (i, state) in [InSync, Unknown, InSync, Drifted, Unknown, Drifted, InSync, InSync]
        .into_iter()
        .enumerate()
    {
        let at = format!("2026-11-25T10:{i:02}:00Z");
        let change = store
            .record_drift("billing", "dev", &check(state, &at), audited)
            .await
            .unwrap();
        actions.extend(change.map(|c| c.action.as_str()));
    }
    assert_eq!(
        actions,
        [
            "drift.unknown",
            "drift.readable",
            "drift.detected",
            "drift.unknown",
            "drift.readable",
            "drift.resolved",
        ]
    );
    assert_eq!(
        AuditAction::DriftReadable.as_str(),
        "drift.readable",
        "the audit log's name for a database that reads again"
    );
    // Newest first.
    let mut events: Vec<String> = store
        .deliveries("wh_all", None, None, 100)
        .await
        .unwrap()
        .iter()
        .map(|d| d.event.kind.as_str().to_string())
        .collect();
    events.reverse();
    assert_eq!(events, actions, "the webhook events are the audited changes");
    let audited: Vec<String> = store
        .audit_entries(&AuditFilter::default(), None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.entry.action)
        .collect();
    assert_eq!(audited, actions, "each change audited once, in its transaction");
}

/// The audit entry of a drift change, as the registry makes it.
fn audited(change: &DriftChange) -> NewAuditEntry {
    NewAuditEntry {
        subject: "registry".into(),
        action: change.action.as_str().into(),
        outcome: "ok".into(),
        detail: "{}".into(),
        ..Default::default()
    }
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
    let qa = store.create_environment("qa", |_| Vec::new()).await.unwrap();
    assert_eq!(qa.position, 4);
    assert!(matches!(
        store.create_environment("qa", |_| Vec::new()).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.existing_environment("nope").await,
        Err(StoreError::NotFound(_))
    ));

    store.create_service(&service("billing"), &[]).await.unwrap();
    assert!(store.binding("billing", "dev").await.unwrap().is_none());
    let new = NewBinding {
        secret_kind: SecretKind::Env,
        secret: "BILLING_DEV_URL".into(),
        host: Some("db.internal".into()),
        scope: ScopeSpec::default(),
        updated_by: "admin".into(),
    };
    let bound = store.put_binding("billing", "dev", &new, &[]).await.unwrap();
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
    store.record_drift("billing", "dev", &drift, audited).await.unwrap();
    let read = store.existing_binding("billing", "dev").await.unwrap();
    assert_eq!((read.drift, read.verified_version), (Some(drift.clone()), Some(1)));
    let drifted = DriftRecord {
        state: DriftState::Drifted,
        version: Some(2),
        ..drift
    };
    store.record_drift("billing", "dev", &drifted, audited).await.unwrap();
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
    store.record_drift("billing", "dev", &unknown, audited).await.unwrap();
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
            &[],
        )
        .await
        .unwrap();
    assert_eq!((rebound.secret_kind, rebound.drift), (SecretKind::Encrypted, None));
    assert_eq!(store.bindings().await.unwrap().len(), 1);
}
