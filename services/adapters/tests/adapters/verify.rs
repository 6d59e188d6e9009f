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

/// A scratch server that keeps templates, naming its databases with a prefix of this test's
/// own (to look for what it leaves).
async fn templating(prefix: &str) -> schemareg_adapters::scratch::ScratchServer {
    scratch().await.with_prefix(prefix).unwrap().with_templates(2)
}

#[tokio::test(flavor = "multi_thread")]
async fn verifications_from_the_same_schema_share_one_template() {
    let prefix = format!("tpl_{}_", schemareg_adapters::random_hex(4));
    let server = templating(&prefix).await;
    let supabase = Scope::new::<&str, &str>(&[], &["supabase"]).unwrap();
    let from = supabase.apply(ingested(&read(&live_before()), "live_before.sql").await);
    let to = supabase.apply(ingested(&read(&fixture("log158_models.sql")), "models.sql").await);
    let p = plan(&from, &to, &PlanOptions::default());
    // Four at once, from the same FROM: one template is prepared, each runs in a copy, and a
    // copy's plan never reaches the template.
    let runs = (0..4).map(|_| verify(&server, &supabase, &from, &to, &p));
    for v in futures_util::future::join_all(runs).await {
        let v = v.unwrap();
        assert!(v.passed(), "{}", v.summary());
    }
    let kept = schemareg_adapters::testing::databases_like(&prefix).await;
    assert_eq!(kept.len(), 1, "one template, the copies dropped: {kept:?}");
    let v = verify(&server, &supabase, &from, &to, &p).await.unwrap();
    assert!(v.passed(), "{}", v.summary());
    assert_eq!(schemareg_adapters::testing::databases_like(&prefix).await, kept);
    // A plan that goes wrong in a copy leaves the template as it was.
    let mut broken = p.clone();
    broken.steps[0].sql = "DROP SCHEMA \"public\" CASCADE;".into();
    assert!(!verify(&server, &supabase, &from, &to, &broken).await.unwrap().passed());
    let v = verify(&server, &supabase, &from, &to, &p).await.unwrap();
    assert!(v.passed(), "{}", v.summary());
    // Another FROM gets a template of its own; past the capacity the oldest goes.
    for extra in ["CREATE TABLE extra_a (a int);", "CREATE TABLE extra_b (b int);"] {
        let other = ingested(extra, "other.sql").await;
        let p = plan(&other, &from, &PlanOptions::default());
        assert!(verify(&server, &supabase, &other, &from, &p).await.unwrap().passed());
    }
    let now = schemareg_adapters::testing::databases_like(&prefix).await;
    assert_eq!(now.len(), 2, "{now:?}");
    assert!(
        !now.contains(&kept[0]),
        "the least recently used template is dropped: {now:?}"
    );
    server.drop_templates().await;
    assert!(schemareg_adapters::testing::databases_like(&prefix).await.is_empty());
    assert!(schemareg_adapters::testing::roles_like(&prefix).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schema_that_cannot_be_built_leaves_no_template() {
    let prefix = format!("tpl_{}_", schemareg_adapters::random_hex(4));
    let server = templating(&prefix).await;
    let from = ingested("CREATE TABLE t (a integer);", "from.sql").await;
    let to = ingested("CREATE TABLE t (a integer, b text);", "to.sql").await;
    let p = plan(&from, &to, &PlanOptions::default());
    let mut unbuildable = from.clone();
    unbuildable.tables[0].columns[0].data_type = "no_such_type".into();
    let e = verify(&server, &Scope::default(), &unbuildable, &to, &p)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no_such_type"), "{e}");
    assert!(schemareg_adapters::testing::databases_like(&prefix).await.is_empty());
    // The same fingerprint tried again is prepared again (a failure is not kept).
    assert!(verify(&server, &Scope::default(), &unbuildable, &to, &p).await.is_err());
    assert!(
        verify(&server, &Scope::default(), &from, &to, &p)
            .await
            .unwrap()
            .passed()
    );
    server.drop_templates().await;
    assert!(schemareg_adapters::testing::databases_like(&prefix).await.is_empty());
    assert!(schemareg_adapters::testing::roles_like(&prefix).await.is_empty());
}
