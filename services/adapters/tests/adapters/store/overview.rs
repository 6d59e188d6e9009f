//! The overview's read from the store.

use schemareg_adapters::store::{
    BindingGlance, DriftGlance, DriftRecord, DriftState, NewBinding, NewPlan, PendingGlance, PlanOutcome, PlanState,
    ScopeSpec, SecretKind, ServiceGlance, Store,
};

use super::{service, version};

on_both_backends!(overview);

/// The overview's read: every service with its latest version, every binding with its last
/// check (no secret), the plans waiting for approval; empty lists on an empty store.
async fn overview(store: &Store) {
    let empty = store.overview_read().await.unwrap();
    assert!(empty.services.is_empty() && empty.bindings.is_empty() && empty.pending.is_empty());
    for name in ["billing", "auth", "idle"] {
        store.create_service(&service(name), &[]).await.unwrap();
    }
    store
        .push_version("billing", &version("sha256:1"), |_| Vec::new())
        .await
        .unwrap();
    store
        .push_version("billing", &version("sha256:2"), |_| Vec::new())
        .await
        .unwrap();
    store
        .push_version("auth", &version("sha256:a"), |_| Vec::new())
        .await
        .unwrap();
    let new = NewBinding {
        secret_kind: SecretKind::Env,
        secret: "SECRET_NEVER_READ".into(),
        host: Some("db.internal:5432".into()),
        scope: ScopeSpec::default(),
        updated_by: "admin".into(),
    };
    store.put_binding("billing", "dev", &new, &[]).await.unwrap();
    store
        .put_binding(
            "auth",
            "dev",
            &NewBinding {
                host: None,
                ..new.clone()
            },
            &[],
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
            |change| schemareg_adapters::store::NewAuditEntry {
                action: change.action.as_str().into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for (id, environment) in [("plan-b", "staging"), ("plan-a", "dev")] {
        store
            .create_plan(
                &NewPlan {
                    id: id.into(),
                    service: "billing".into(),
                    environment: environment.into(),
                    to_version: 2,
                    to_digest: "sha256:2".into(),
                    requested_by: "deployer".into(),
                    lease_secs: 60,
                    override_reason: None,
                },
                &[],
            )
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
            &[],
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
