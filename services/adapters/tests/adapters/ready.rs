//! Ready databases: runs in a lent database inside a transaction rolled back after read the
//! same as runs in a database of their own, leave it empty, and a run that escapes its
//! transaction gets the database dropped instead of lent again.

use schemareg_adapters::ingest::ingest;
use schemareg_adapters::scratch::ScratchServer;
use schemareg_adapters::testing::fixtures::*;
use schemareg_adapters::testing::{databases_like, roles_like, scratch};
use schemareg_adapters::verify::{rebuild, settle, spell_and_settle};
use schemareg_engine::Scope;

async fn ready(prefix: &str, capacity: usize) -> ScratchServer {
    scratch().await.with_prefix(prefix).unwrap().with_ready(capacity)
}

/// Rows of the database's own catalogs (what a run could have left there).
async fn own_objects(server: &ScratchServer, database: &str) -> i64 {
    let client = server.admin().with_database(database).connect().await.unwrap();
    client
        .query_one(
            "SELECT (SELECT count(*) FROM pg_class WHERE oid >= 16384)
                  + (SELECT count(*) FROM pg_namespace WHERE oid >= 16384)
                  + (SELECT count(*) FROM pg_type WHERE oid >= 16384)
                  + (SELECT count(*) FROM pg_proc WHERE oid >= 16384)",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ready_database_reads_as_a_fresh_one_and_is_empty_after_each_run() {
    let prefix = format!("ready_{}_", schemareg_adapters::random_hex(4));
    let fast = ready(&prefix, 1).await;
    let slow = scratch().await;
    let supabase = Scope::new::<&str, &str>(&[], &["supabase"]).unwrap();
    for (name, sql) in [
        ("models.sql", read(&fixture("log158_models.sql"))),
        ("kitchen_sink.sql", read(&fixture("kitchen_sink.sql"))),
        ("live_before.sql", read(&live_before())),
    ] {
        let a = ingest(&fast, &sql, name).await.unwrap().snapshot;
        let b = ingest(&slow, &sql, name).await.unwrap().snapshot;
        assert_eq!(a, b, "{name} ingested in a ready database");
        let scope = match name {
            "live_before.sql" => supabase.clone(),
            _ => Scope::default(),
        };
        let (a, b) = (scope.apply(a), scope.apply(b));
        let (ra, rb) = (
            rebuild(&fast, &scope, &a).await.unwrap(),
            rebuild(&slow, &scope, &b).await.unwrap(),
        );
        assert_eq!(ra, rb, "{name} rebuilt in a ready database");
        let settled = settle(&fast, &scope, a.clone()).await.unwrap();
        assert_eq!(settled, settle(&slow, &scope, b).await.unwrap());
        // Given as JSON: the first printing settles as settling the rebuild does, and a
        // settled snapshot (one rebuild reads it back unchanged) gives itself.
        assert_eq!(spell_and_settle(&slow, &scope, &a).await.unwrap(), settled, "{name}");
        assert_eq!(
            spell_and_settle(&fast, &scope, &settled).await.unwrap(),
            settled,
            "{name}"
        );
    }
    // One database served every run (lent one at a time), and holds nothing.
    let left = databases_like(&prefix).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(own_objects(&fast, &left[0]).await, 0);
    // A failing script still says where it fails.
    let e = ingest(
        &fast,
        "CREATE TABLE t (a int);\nCREATE TABLE u (b no_such_type);\n",
        "bad.sql",
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("bad.sql:2:"), "{e}");
    assert_eq!(databases_like(&prefix).await, left);
    fast.drop_ready_databases().await;
    assert!(databases_like(&prefix).await.is_empty());
    assert!(roles_like(&prefix).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_leaves_its_transaction_gets_its_database_dropped() {
    let prefix = format!("ready_{}_", schemareg_adapters::random_hex(4));
    let server = ready(&prefix, 2).await;
    // Ended by the run's own text, then work that would stay: the database is not lent again.
    for escape in [
        "CREATE TABLE kept_a (a int); COMMIT; CREATE TABLE kept_b (b int)",
        "ROLLBACK; CREATE TABLE kept_c (c int)",
        "RELEASE SAVEPOINT schemareg_lent; COMMIT; BEGIN; SAVEPOINT schemareg_lent",
        "PREPARE kept_d AS SELECT 1",
    ] {
        let mut lent = server.lend().await.unwrap();
        let name = lent.database().name().to_string();
        lent.begin().await.unwrap();
        let _ = lent.client().batch_execute(escape).await;
        server.give_back(lent).await;
        assert!(
            !databases_like(&prefix).await.contains(&name),
            "after {escape:?} the database is dropped"
        );
    }
    // What a session keeps past a rollback is reset, and the database lent again.
    let mut lent = server.lend().await.unwrap();
    let name = lent.database().name().to_string();
    lent.begin().await.unwrap();
    lent.client()
        .batch_execute(
            "CREATE TABLE t (a int); SET search_path = nowhere; SELECT pg_advisory_lock(42); \
             LISTEN somewhere; SELECT set_config('work_mem', '1MB', false)",
        )
        .await
        .unwrap();
    server.give_back(lent).await;
    let lent = server.lend().await.unwrap();
    assert_eq!(lent.database().name(), name, "a clean database is lent again");
    let said: (String, i64, i64) = {
        let row = lent
            .client()
            .query_one(
                "SELECT current_setting('search_path'), (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()), (SELECT count(*) FROM pg_listening_channels())",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1), row.get(2))
    };
    assert_eq!(said, ("\"$user\", public".to_string(), 0, 0));
    server.give_back(lent).await;
    assert_eq!(own_objects(&server, &name).await, 0);
    server.drop_ready_databases().await;
    assert!(databases_like(&prefix).await.is_empty());
    assert!(roles_like(&prefix).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_databases_a_killed_registry_left_are_swept_by_the_next() {
    let prefix = format!("ready_{}_", schemareg_adapters::random_hex(4));
    let first = ready(&prefix, 2).await;
    first.warm().await.unwrap();
    assert_eq!(databases_like(&prefix).await.len(), 2);
    // A second server of the prefix finds them held and leaves them.
    let second = scratch().await.with_prefix(&prefix).unwrap();
    assert_eq!(second.sweep_templates().await.unwrap(), 0);
    assert_eq!(databases_like(&prefix).await.len(), 2);
    // The first one killed (its sessions end without dropping anything): they go.
    let admin = second.admin().connect().await.unwrap();
    for name in databases_like(&prefix).await {
        admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1
                 UNION ALL
                 SELECT pg_terminate_backend(pid) FROM pg_locks
                 WHERE locktype = 'advisory' AND classid = 1398034508::oid AND objid = hashtext($1)::oid",
                &[&name],
            )
            .await
            .unwrap();
    }
    let mut swept = 0;
    for _ in 0..50 {
        swept += second.sweep_templates().await.unwrap();
        if swept == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(swept, 2);
    assert!(databases_like(&prefix).await.is_empty());
    drop(first);
    assert!(roles_like(&prefix).await.is_empty());
}

/// Rebuilds read an empty ready database once (they are all alike): two databases lent at
/// once read the same, including in a server's owner-sensitive parts (schema `public`, its
/// privileges), and what one run leaves in its transaction is gone for the next.
#[tokio::test(flavor = "multi_thread")]
async fn every_ready_database_reads_as_the_same_empty_one() {
    let prefix = format!("ready_{}_", schemareg_adapters::random_hex(4));
    let server = ready(&prefix, 2).await;
    let (mut a, mut b) = (server.lend().await.unwrap(), server.lend().await.unwrap());
    assert_ne!(a.database().name(), b.database().name());
    a.begin().await.unwrap();
    b.begin().await.unwrap();
    let read_a = schemareg_adapters::introspect::introspect_within(a.client())
        .await
        .unwrap()
        .0;
    let read_b = schemareg_adapters::introspect::introspect_within(b.client())
        .await
        .unwrap()
        .0;
    assert_eq!(read_a, read_b);
    a.client().batch_execute("CREATE TABLE t (a int)").await.unwrap();
    server.give_back(a).await;
    server.give_back(b).await;
    let mut again = server.lend().await.unwrap();
    again.begin().await.unwrap();
    let read = schemareg_adapters::introspect::introspect_within(again.client())
        .await
        .unwrap()
        .0;
    assert_eq!(read, read_a);
    server.give_back(again).await;
    server.drop_ready_databases().await;
}

/// A build that PostgreSQL refuses, in a ready database (its steps sent as one batch): the
/// error names the step that fails, and the database is lent again, empty.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_build_names_its_step_and_leaves_the_database_clean() {
    let prefix = format!("ready_{}_", schemareg_adapters::random_hex(4));
    let server = ready(&prefix, 1).await;
    let sql = "CREATE TABLE a (id bigint PRIMARY KEY);\nCREATE TABLE b (id bigint PRIMARY KEY, n int DEFAULT 1);\nCREATE TABLE c (id bigint);\n";
    let mut wanted = ingest(&server, sql, "t.sql").await.unwrap().snapshot;
    let b = wanted.tables.iter_mut().find(|t| t.name == "b").unwrap();
    b.columns.iter_mut().find(|c| c.name == "n").unwrap().default = Some("no_such_function()".into());
    let e = rebuild(&server, &Scope::default(), &wanted).await.unwrap_err();
    let said = e.to_string();
    assert!(
        said.contains("(create table public.b)"),
        "the step that fails is named: {said}"
    );
    assert!(said.contains("no_such_function"), "{said}");
    let left = databases_like(&prefix).await;
    assert_eq!(left.len(), 1, "lent again, not dropped: {left:?}");
    assert_eq!(own_objects(&server, &left[0]).await, 0);
    server.drop_ready_databases().await;
}
