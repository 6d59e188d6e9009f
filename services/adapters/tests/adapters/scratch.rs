//! Scratch databases left behind: a registry killed outright cannot drop its scratch
//! databases, so the next one sweeps those of its prefix made long ago that no one is
//! connected to, and leaves the rest.

use std::time::Duration;

use schemareg_adapters::testing::scratch;

/// Whether the database exists on the test server.
async fn exists(admin: &tokio_postgres::Client, name: &str) -> bool {
    admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .unwrap()
        .is_some()
}

#[tokio::test(flavor = "multi_thread")]
async fn old_scratch_databases_no_one_uses_are_swept_and_the_others_stay() {
    let prefix = format!("sweeptest_{}_", schemareg_adapters::random_hex(4));
    let server = scratch().await.with_prefix(&prefix).unwrap();
    let admin = server.admin().connect().await.unwrap();
    // Three databases as a killed registry leaves them: never dropped.
    let mut names = Vec::new();
    for _ in 0..3 {
        let db = server.create_database().await.unwrap();
        names.push(db.name().to_string());
        std::mem::forget(db);
    }
    let [left, busy, fresh] = [names[0].clone(), names[1].clone(), names[2].clone()];
    // `left` and `busy` were made long ago; `busy` still has a connection.
    for name in [&left, &busy] {
        let comment: String = admin
            .query_one(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
                &[name],
            )
            .await
            .unwrap()
            .get(0);
        let made_long_ago = format!("{}1000", comment.trim_end_matches(|c: char| c.is_ascii_digit()));
        admin
            .batch_execute(&format!("COMMENT ON DATABASE {name} IS '{made_long_ago}'"))
            .await
            .unwrap();
    }
    let user = server.admin().with_database(&busy).connect().await.unwrap();

    assert_eq!(server.sweep_databases(Duration::from_secs(3600)).await.unwrap(), 1);
    assert!(!exists(&admin, &left).await, "an old one no one uses is dropped");
    let role: Option<tokio_postgres::Row> = admin
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&left])
        .await
        .unwrap();
    assert!(role.is_none(), "with its role");
    assert!(exists(&admin, &busy).await, "one in use stays");
    assert!(exists(&admin, &fresh).await, "a new one stays");

    // Once no one uses them, and whatever their age: swept too, nothing left.
    drop(user);
    let mut dropped = 0;
    for _ in 0..50 {
        // (The closed connection's backend may take a moment to end.)
        dropped += server.sweep_databases(Duration::ZERO).await.unwrap();
        if dropped == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(dropped, 2);
    assert!(!exists(&admin, &busy).await && !exists(&admin, &fresh).await);
}
