//! Plans created at once for one service and environment: each new plan supersedes the older
//! live ones in the same transaction, so exactly one stays live.

use schemareg_adapters::store::{NewPlan, NewService, PlanState, ScopeSpec, Store};

use crate::http::Backend;

on_both_stores!(twenty_plans_at_once_leave_one_live);

async fn twenty_plans_at_once_leave_one_live(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let _db;
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}/store.db", dir.path().display()),
        Backend::Postgres => {
            let db = schemareg_adapters::testing::TestDb::new().await;
            let url = db.url();
            _db = db;
            url
        }
    };
    let store = Store::open(&url).await.unwrap();
    store
        .create_service(
            &NewService {
                name: "shop".into(),
                description: String::new(),
                owners: Vec::new(),
                scope: ScopeSpec::default(),
                created_by: "t".into(),
            },
            &[],
        )
        .await
        .unwrap();
    for round in 0..3 {
        let creations = (0..20).map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .create_plan(
                        &NewPlan {
                            id: format!("plan_{round}{i:015}"),
                            service: "shop".into(),
                            environment: "dev".into(),
                            to_version: 1,
                            to_digest: "sha256:x".into(),
                            requested_by: "t".into(),
                            lease_secs: 60,
                            override_reason: None,
                        },
                        &[],
                    )
                    .await
                    .unwrap()
            })
        });
        for c in creations.collect::<Vec<_>>() {
            c.await.unwrap();
        }
        let plans = store.plans("shop", Some("dev"), None, 100).await.unwrap();
        let live: Vec<_> = plans.iter().filter(|p| p.state != PlanState::Superseded).collect();
        assert_eq!(
            live.len(),
            1,
            "round {round}: {:?}",
            live.iter().map(|p| (&p.id, p.state)).collect::<Vec<_>>()
        );
    }
}
