//! The store's test suite, run against both backends: SQLite in a temporary file and
//! PostgreSQL in a database of its own. One module per resource of the store; the macro that
//! runs a test on both backends and the records the tests build are here.

use std::collections::BTreeMap;

use schemareg_adapters::store::{NewService, NewVersion, ScopeSpec};

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

mod audit;
mod environments;
mod overview;
mod plans;
mod services;
mod versions;
mod webhooks;

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
