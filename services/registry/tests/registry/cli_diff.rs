//! The `schemareg diff` command: exit codes 0/1/2, the SQL and JSON formats, bad input.

use crate::common::*;
use schemareg_adapters::testing::{databases_like, roles_like};

/// The start of the names of the scratch databases these tests' runs make.
const PREFIX: &str = "cli_diff_";

#[tokio::test(flavor = "multi_thread")]
async fn diff_command_exit_codes_and_formats() {
    let live = live_before().display().to_string();
    let models = fixture("log158_models.sql").display().to_string();
    let differ = schemareg_in(PREFIX, &["diff", &live, &models, "--preset", "supabase"], true);
    assert_eq!(differ.status.code(), Some(1), "{}", stderr(&differ));
    let script = String::from_utf8(differ.stdout).unwrap();
    assert!(script.contains("SET lock_timeout = '10s';") && script.contains("BEGIN;") && script.contains("COMMIT;"));
    assert!(script.contains("-- Step 1: "), "{script}");
    let json = schemareg_in(
        PREFIX,
        &["diff", &live, &models, "--preset", "supabase", "--format", "json"],
        true,
    );
    assert_eq!(json.status.code(), Some(1));
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let steps = plan["steps"].as_array().unwrap();
    assert!(!steps.is_empty());
    for s in steps {
        for field in ["id", "description", "sql", "hazards", "transactional", "lock"] {
            assert!(s.get(field).is_some(), "{field} missing in {s}");
        }
        assert!(s.get("rollback_sql").is_some() || s.get("rollback_note").is_some());
    }
    assert!(plan["from_digest"].as_str().unwrap().starts_with("sha256:"));
    let same = schemareg_in(PREFIX, &["diff", &live, &live, "--lock-timeout", "2s"], true);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));

    // A snapshot document is spelled by PostgreSQL: int4 is integer.
    let (_d1, int4) = temp_file(
        "int4.json",
        r#"{"format": 1, "schemas": [{"name": "public", "comment": "standard public schema"}],
            "tables": [{"schema": "public", "name": "t", "columns": [{"name": "a", "type": "int4"}]}]}"#,
    );
    let (_d2, int) = temp_file("int.sql", "CREATE TABLE t (a integer);");
    let same = schemareg_in(PREFIX, &["diff", &int, &int4], true);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    // One with an expression PostgreSQL rejects is refused, saying so.
    let (_d3, rejected) = temp_file(
        "rejected.json",
        r#"{"format": 1, "tables": [{"schema": "public", "name": "t", "columns": [{"name": "a", "type": "integer", "default": "nope(("}]}]}"#,
    );

    let (_d, bad) = temp_file("bad.sql", "CREATE TABLE t (a nosuchtype);");
    for (args, expected) in [
        (
            vec!["diff", &live, "/nonexistent/to.sql"],
            "cannot read /nonexistent/to.sql",
        ),
        (vec!["diff", &live, &bad], "bad.sql:1:19"),
        (vec!["diff", "postgres://u:pw@127.0.0.1:1/x", &live], "cannot connect"),
        (vec!["diff", &live, &live, "--lock-timeout", "soon"], "--lock-timeout"),
        (
            vec!["diff", &int, &rejected],
            "rejected.json: PostgreSQL rejects the snapshot",
        ),
    ] {
        let out = schemareg_in(PREFIX, &args, true);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    concurrent_index_builds_run_outside_transactions();
    // Nothing left behind by all of that (this binary's tests run alone).
    assert_eq!(databases_like(PREFIX).await, Vec::<String>::new());
    // Nor a role (a failing side used to cancel the other half-way through making one).
    assert_eq!(roles_like(PREFIX).await, Vec::<String>::new());
}

/// Called by the test above, before it counts scratch databases.
fn concurrent_index_builds_run_outside_transactions() {
    let (_a, from) = temp_file("from.sql", "CREATE TABLE t (a int, b text);");
    let (_b, to) = temp_file(
        "to.sql",
        "CREATE TABLE t (a int, b text);\nCREATE INDEX t_a ON t (a);\nALTER TABLE t ADD COLUMN c int;",
    );
    let out = schemareg_in(PREFIX, &["diff", &from, &to, "--concurrently", "--verify"], true);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let script = String::from_utf8(out.stdout).unwrap();
    let index = script.find("CREATE INDEX CONCURRENTLY \"t_a\"").expect(&script);
    // The concurrent build is not inside BEGIN … COMMIT.
    let before = &script[..index];
    assert!(
        before.matches("BEGIN;").count() == before.matches("COMMIT;").count(),
        "{script}"
    );
    assert!(script.contains("runs outside a transaction"), "{script}");
}

/// Default privileges a live database set without `FOR ROLE` are those of the user it is read
/// as: a file naming that user is no different; another role's are planned with `FOR ROLE`
/// and verified (run by the scratch server's admin).
#[tokio::test(flavor = "multi_thread")]
async fn default_privileges_are_read_as_the_databases_user() {
    const PREFIX: &str = "cli_defaults_";
    let leases = schemareg_adapters::testing::scratch()
        .await
        .create_database()
        .await
        .unwrap();
    for role in ["cli_reader", "cli_owner"] {
        leases.ensure_role(role).await.unwrap();
    }
    let table = "CREATE TABLE t (a int);";
    let db = schemareg_adapters::testing::fixtures::loaded(&format!(
        "{table} ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO cli_reader;"
    ))
    .await;
    let named = format!(
        "{table} ALTER DEFAULT PRIVILEGES FOR ROLE \"{}\" IN SCHEMA public GRANT SELECT ON TABLES TO cli_reader;",
        db.current_user().await
    );
    let (_a, same) = temp_file("same.sql", &named);
    let out = schemareg_in(PREFIX, &["diff", &db.url(), &same], true);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (_b, other) = temp_file(
        "other.sql",
        &format!(
            "{named}\nALTER DEFAULT PRIVILEGES FOR ROLE cli_owner IN SCHEMA public GRANT INSERT ON TABLES TO cli_reader;"
        ),
    );
    let out = schemareg_in(PREFIX, &["diff", &db.url(), &other, "--verify"], true);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let script = String::from_utf8(out.stdout).unwrap();
    assert_eq!(script.matches("-- Step ").count(), 1, "{script}");
    assert!(
        script.contains(
            "ALTER DEFAULT PRIVILEGES FOR ROLE \"cli_owner\" IN SCHEMA \"public\" GRANT INSERT ON TABLES TO \"cli_reader\";"
        ),
        "{script}"
    );
    drop(db);
    leases.drop_now().await.unwrap();
    assert_eq!(databases_like(PREFIX).await, Vec::<String>::new());
}

/// FROM's table sizes reach the hazards of `schemareg diff URL FILE`: the sizes of the tables
/// the plan looks up, read on FROM's connection after the diff, by the real binary.
#[tokio::test(flavor = "multi_thread")]
async fn hazards_name_the_size_of_the_live_table_they_rewrite() {
    const PREFIX: &str = "cli_sizes_";
    let db = schemareg_adapters::testing::fixtures::loaded(
        "CREATE TABLE t (a int); INSERT INTO t SELECT g FROM generate_series(1, 5000) g; ANALYZE t;",
    )
    .await;
    let (_f, wider) = temp_file("wider.sql", "CREATE TABLE t (a bigint);");
    let out = schemareg_in(PREFIX, &["diff", &db.url(), &wider, "--format", "json"], true);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hazards = plan["steps"].to_string();
    assert!(hazards.contains("public.t (≈5.0 k rows"), "{hazards}");
    drop(db);
    assert!(databases_like(PREFIX).await.is_empty());
}
