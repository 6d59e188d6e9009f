//! The README's recipes for getting a service's wanted schema out of its application, each
//! run as a pipeline would: SQLAlchemy models printed as DDL with `create_mock_engine`
//! (SQLAlchemy from PyPI) and pushed as `.sql`; and any ORM's own migrations run into a
//! scratch database whose URL is pushed. Both reach the same version as the DDL committed in
//! `tests/fixtures/log158_models.sql`.

use std::process::{Command, Output};

use schemareg::auth::Role;
use schemareg_adapters::testing::TestDb;
use serde_json::json;

use crate::clients::tools::python_bin;
use crate::common::*;
use crate::served::{Served, call, token_as};

fn push(base: &str, source: &str, extra: &[&str]) -> Output {
    let token = token_as("ci", &[Role::Publisher]);
    Command::new(env!("CARGO_BIN_EXE_schemareg"))
        .args(["push", "log158", source, "--json"])
        .args(extra)
        .env("SCHEMAREG_URL", base)
        .env("SCHEMAREG_TOKEN", token)
        .env_remove("SCHEMAREG_SCRATCH_URL")
        .output()
        .unwrap()
}

fn pushed(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn models_and_migrations_reach_the_version_of_the_committed_ddl() {
    let served = Served::start(&[]).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    let (status, _) = call(
        &base,
        "POST",
        "/v1/services",
        Some(&json!({"name": "log158", "scope": {"presets": ["supabase"]}})),
    );
    assert_eq!(status, 201);
    let committed = pushed(&push(&base, fixture("log158_models.sql").to_str().unwrap(), &[]));
    assert_eq!(committed["created"], true);

    // SQLAlchemy: the models printed as DDL (no database), pushed as .sql.
    let dir = tempfile::tempdir().unwrap();
    let ddl = dir.path().join("schema.sql");
    let printed = Command::new(python_bin().join("python"))
        .arg(fixture("log158_models.py"))
        .output()
        .unwrap();
    assert!(printed.status.success(), "{}", String::from_utf8_lossy(&printed.stderr));
    std::fs::write(&ddl, &printed.stdout).unwrap();
    let from_models = pushed(&push(&base, ddl.to_str().unwrap(), &["--commit", "4b825dc"]));
    assert_eq!(from_models["created"], false, "{from_models}");
    assert_eq!(from_models["digest"], committed["digest"]);

    // Any ORM: its migrations run into a scratch database, whose URL is pushed (read by the
    // client, sent as a snapshot).
    let scratch = TestDb::new().await;
    for migration in split_migrations(&read(&fixture("log158_models.sql"))) {
        scratch.execute(&migration).await;
    }
    let from_migrations = pushed(&push(&base, &scratch.url(), &["--preset", "supabase"]));
    assert_eq!(from_migrations["digest"], committed["digest"], "{from_migrations}");
    assert_eq!(from_migrations["created"], false);
}

/// The DDL as a few migrations, as an ORM would keep them: split at the `CREATE TABLE`s.
fn split_migrations(sql: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for statement in sql.split_inclusive(";\n") {
        if statement.trim_start().starts_with("CREATE TABLE") && out.last().is_some_and(|m| m.len() > 2000) {
            out.push(String::new());
        }
        out.last_mut().unwrap().push_str(statement);
    }
    assert!(out.len() > 1, "several migrations");
    out
}
