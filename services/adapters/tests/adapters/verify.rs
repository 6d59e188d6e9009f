//! Verification in a scratch database: FROM rebuilt from its snapshot, the plan applied (it
//! must give TO), the rollback applied (it must give FROM back).

use schemareg_adapters::testing::fixtures::*;
use schemareg_adapters::testing::scratch;
use schemareg_adapters::verify::verify;
use schemareg_engine::plan::{PlanOptions, plan};
use schemareg_engine::{Scope, Snapshot};

async fn check(from: &Snapshot, to: &Snapshot, scope: &Scope) {
    let p = plan(from, to, &PlanOptions::default());
    assert!(!p.is_empty());
    let v = verify(&scratch().await, scope, from, to, &p).await.unwrap();
    assert!(v.passed(), "{}", v.summary());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_is_created_and_dropped_and_rolled_back() {
    let empty = ingested("", "empty.sql").await;
    let sink = ingested(&read(&fixture("kitchen_sink.sql")), "kitchen_sink.sql").await;
    check(&empty, &sink, &Scope::default()).await;
    check(&sink, &empty, &Scope::default()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_log158_plan_verifies_with_the_external_auth_table() {
    let supabase = Scope::new::<&str, &str>(&[], &["supabase"]).unwrap();
    let server = scratch().await;
    let load = |sql: String, name: &'static str| {
        let server = &server;
        let supabase = &supabase;
        async move {
            supabase.apply(
                schemareg_adapters::ingest::ingest(server, &sql, name)
                    .await
                    .unwrap()
                    .snapshot,
            )
        }
    };
    let from = load(read(&live_before()), "live_before.sql").await;
    let to = load(read(&fixture("log158_models.sql")), "models.sql").await;
    assert_eq!(from.external_tables.len(), 1);
    check(&from, &to, &supabase).await;
    check(&to, &from, &supabase).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_that_does_not_reach_its_target_is_not_verified() {
    let from = ingested("CREATE TABLE t (a integer);", "from.sql").await;
    let to = ingested("CREATE TABLE t (a integer, b text);", "to.sql").await;
    let mut p = plan(&from, &to, &PlanOptions::default());
    // Tamper with the plan: it now adds the wrong column.
    p.steps[0].sql = "ALTER TABLE \"public\".\"t\" ADD COLUMN \"c\" text;".into();
    let v = verify(&scratch().await, &Scope::default(), &from, &to, &p)
        .await
        .unwrap();
    assert!(!v.passed());
    assert!(v.summary().contains("still differs from TO"), "{}", v.summary());
    // And one that fails to apply says which step and why.
    p.steps[0].sql = "ALTER TABLE \"public\".\"nope\" ADD COLUMN \"b\" text;".into();
    let v = verify(&scratch().await, &Scope::default(), &from, &to, &p)
        .await
        .unwrap();
    assert!(
        v.summary().contains("step 1") && v.summary().contains("does not exist"),
        "{}",
        v.summary()
    );
}
