//! Fixtures and helpers of the tests of this and other crates: the repository's fixture
//! files, databases loaded with a script, snapshots of what they hold, `pg_dump` and `psql`
//! run with the binaries that match the server.

use std::path::PathBuf;
use std::process::Command;

use schemareg_engine::{Scope, Snapshot};

use super::{TestDb, scratch};
use crate::ingest::ingest;
use crate::introspect::introspect;
use crate::scratch::find_bindir;

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

/// The LOG-158 scenario's `live_before.sql` (a copy of `shared/scenarios/log158/`, kept with
/// the fixtures so that the tests do not depend on where the repository is cloned).
pub fn live_before() -> PathBuf {
    fixture("log158_live_before.sql")
}

pub fn read(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fresh database with the script loaded (as the server's superuser).
pub async fn loaded(sql: &str) -> TestDb {
    let db = TestDb::new().await;
    db.execute(sql).await;
    db
}

/// The live snapshot of a test database, default scope.
pub async fn live_snapshot(db: &TestDb) -> Snapshot {
    Scope::default().apply(introspect(&db.client().await).await.unwrap().0)
}

/// The snapshot of a script ingested in a scratch database, default scope.
pub async fn ingested(sql: &str, name: &str) -> Snapshot {
    ingested_in(&Scope::default(), sql, name).await
}

/// The snapshot of a script ingested in a scratch database, in a scope.
pub async fn ingested_in(scope: &Scope, sql: &str, name: &str) -> Snapshot {
    let server = scratch().await;
    let out = ingest(&server, sql, name)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    // As the registry keeps versions: settled (printed as a plan would write them).
    crate::verify::settle(&server, scope, scope.apply(out.snapshot))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A dump of `db` ingested names the role that made it (`FOR ROLE postgres`, `OWNER TO
/// postgres`) where the database read as that role names none: read as that role.
pub async fn as_read_by_its_user(db: &TestDb, s: &mut schemareg_engine::Snapshot) {
    s.as_applied_by(&db.current_user().await);
}

/// `pg_dump --schema-only` of a test database, with the binaries matching the server.
pub fn pg_dump(db: &TestDb) -> String {
    dump(db, &["--schema-only", "--no-owner"])
}

/// `pg_dump --schema-only` with owners and privileges, as people usually run it.
pub fn pg_dump_full(db: &TestDb) -> String {
    dump(db, &["--schema-only"])
}

fn dump(db: &TestDb, options: &[&str]) -> String {
    let bin = find_bindir().unwrap().join("pg_dump");
    let out = Command::new(bin)
        .args(options)
        .arg("--dbname")
        .arg(db.url())
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A file in a temporary directory (kept while the directory value lives).
pub fn temp_file(name: &str, content: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    (dir, path.display().to_string())
}

/// Applies a script with psql (ON_ERROR_STOP), as an operator would.
pub fn psql(db: &TestDb, script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.sql");
    std::fs::write(&path, script).unwrap();
    let out = Command::new(find_bindir().unwrap().join("psql"))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&path)
        .arg(db.url())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "psql failed: {}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The row counts of the LOG-158 scenario's tables (to show that nothing is lost).
pub async fn counts(db: &TestDb) -> Vec<(String, i64)> {
    let c = db.client().await;
    let tables = [
        "auth.users",
        "storage.buckets",
        "storage.objects",
        "public.alembic_version",
        "public.users",
        "public.organizations",
        "public.memberships",
        "public.documents",
        "public.document_chunks",
        "public.queries",
        "public.user_preferences",
    ];
    let mut out = Vec::new();
    for t in tables {
        let n: i64 = c
            .query_one(&format!("SELECT count(*) FROM {t}"), &[])
            .await
            .unwrap()
            .get(0);
        out.push((t.to_string(), n));
    }
    out
}
