//! Every shape of script goes through the real binary from push to `verified`: the plan is
//! computed, verified, stored, approved by its digest, read back and applied by the registry,
//! which runs exactly the script it showed (an enum label added then used needs a commit after
//! it; a NOT NULL proven on a big table commits twice; concurrent index builds run outside
//! transactions, between transactional groups; an enum swap casts its columns).

use crate::served::{Served, call, call_raw, settled};
use schemareg_adapters::testing::TestDb;
use schemareg_adapters::testing::fixtures::loaded;
use serde_json::{Value, json};

/// One shape: a service of its own bound in dev to a database holding FROM (and rows), TO
/// pushed as DDL, a plan asked for with `request`, then applied by the registry. Returns the
/// verified plan and its SQL.
async fn through_the_registry(base: &str, service: &str, from: &str, to: &str, request: Value) -> (Value, String) {
    let live: TestDb = loaded(from).await;
    // Made here unless the test made it first (with a scope of its own).
    let (status, body) = call(base, "POST", "/v1/services", Some(&json!({"name": service})));
    assert!(matches!(status, 201 | 409), "{body}");
    let versions = format!("/v1/services/{service}/versions");
    let (status, body) = call_raw(base, "POST", &versions, "application/sql", to);
    assert_eq!(status, 201, "{service}: {body}");
    let binding = format!("/v1/services/{service}/environments/dev");
    let url = live.url_with_password("x");
    let (status, body) = call(base, "PUT", &binding, Some(&json!({"database_url": url})));
    assert!(matches!(status, 200 | 201), "{service}: {status} {body}");
    let (status, created) = call(base, "POST", &format!("{binding}/plans"), Some(&request));
    assert!(matches!(status, 201 | 202), "{service}: {status} {created}");
    let id = created["id"].as_str().unwrap().to_string();
    let plan = settled(base, &id, std::time::Duration::from_secs(120)).await;
    assert_eq!(plan["state"], "approved", "{service}: {plan}");
    let sql = plan["sql"].as_str().unwrap_or_default().to_string();
    let (status, body) = call(base, "POST", &format!("/v1/plans/{id}/apply"), Some(&json!({})));
    assert!(matches!(status, 200 | 202), "{service}: {status} {body}");
    let done = settled(base, &id, std::time::Duration::from_secs(120)).await;
    assert_eq!(done["state"], "verified", "{service}: {done}");
    // The live database is the version: the drift is empty.
    let (status, drift) = call(base, "GET", &format!("{binding}/drift"), None);
    assert_eq!(status, 200, "{drift}");
    assert_eq!(drift["changes"].as_array().map(Vec::len), Some(0), "{service}: {drift}");
    drop(live);
    (done, sql)
}

/// The descriptions of a plan's steps.
fn described(plan: &Value) -> Vec<&str> {
    steps(plan).iter().map(|s| s["description"].as_str().unwrap()).collect()
}

/// The roles the versions name, held on the test server (created when missing) while the
/// value lives; drop it with `drop_now`.
async fn holding(roles: &[&str]) -> schemareg_adapters::scratch::ScratchDatabase {
    let leases = schemareg_adapters::testing::scratch()
        .await
        .create_database()
        .await
        .unwrap();
    for role in roles {
        leases.ensure_role(role).await.unwrap();
    }
    leases
}

fn steps(plan: &Value) -> Vec<&Value> {
    plan["plan"]["steps"]
        .as_array()
        .map(|s| s.iter().collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_script_shape_applies_from_push_to_verified() {
    let served = Served::start(&[]).await;
    let base = format!("http://127.0.0.1:{}", served.port);

    // An enum label added, then used by a default: the label commits before its use.
    let (plan, sql) = through_the_registry(
        &base,
        "labels",
        "CREATE TYPE st AS ENUM ('a', 'b'); CREATE TABLE t (id int PRIMARY KEY, s st); \
         INSERT INTO t VALUES (1, 'a');",
        "CREATE TYPE st AS ENUM ('a', 'b', 'c'); CREATE TABLE t (id int PRIMARY KEY, s st DEFAULT 'c');",
        json!({}),
    )
    .await;
    assert!(steps(&plan).iter().any(|s| s["commit_after"] == true), "{plan}");
    assert!(sql.matches("BEGIN;").count() >= 2, "{sql}");

    // A column made NOT NULL and narrower on rows that all fit: the checks on the live rows
    // count them (nothing fails), the plan carries them as stored and read back, and the
    // apply goes through.
    let (plan, sql) = through_the_registry(
        &base,
        "checked",
        "CREATE TABLE t (id int PRIMARY KEY, code varchar(10)); INSERT INTO t VALUES (1, 'ab'), (2, 'abcd');",
        "CREATE TABLE t (id int PRIMARY KEY, code varchar(4) NOT NULL);",
        json!({}),
    )
    .await;
    let checks: Vec<Value> = plan["data_checks"]
        .as_array()
        .unwrap_or_else(|| panic!("{plan}"))
        .iter()
        .map(|c| json!([c["check"], c["outcome"], c["checked"], c["failing"]]))
        .collect();
    assert_eq!(
        checks,
        [
            json!([
                "values of public.t.code that do not become character varying(4)",
                "counted",
                2,
                0
            ]),
            json!(["NULLs in public.t.code", "counted", 2, 0]),
        ],
        "{plan}"
    );
    assert!(
        !sql.contains("USING"),
        "a narrower size is enforced as on an insert: {sql}"
    );

    // A label added in the middle of an enum and a new table using it.
    through_the_registry(
        &base,
        "middle",
        "CREATE TYPE st AS ENUM ('a', 'c'); CREATE TABLE t (s st); INSERT INTO t VALUES ('c');",
        "CREATE TYPE st AS ENUM ('a', 'b', 'c'); CREATE TABLE t (s st); CREATE TABLE u (s st DEFAULT 'b');",
        json!({}),
    )
    .await;

    // An enum swapped for one without a label: its column cast over, its default kept.
    let (plan, _) = through_the_registry(
        &base,
        "swap",
        "CREATE TYPE st AS ENUM ('a', 'b', 'c'); CREATE TABLE t (s st NOT NULL DEFAULT 'a'); \
         INSERT INTO t VALUES ('a'), ('c');",
        "CREATE TYPE st AS ENUM ('a', 'c'); CREATE TABLE t (s st NOT NULL DEFAULT 'a');",
        json!({}),
    )
    .await;
    assert!(
        steps(&plan)[0]["description"]
            .as_str()
            .unwrap()
            .starts_with("replace enum"),
        "{plan}"
    );

    // NOT NULL on a table of more than 100,000 rows: a check added NOT VALID (committed),
    // validated (committed), then SET NOT NULL using it.
    let (plan, sql) = through_the_registry(
        &base,
        "notnull",
        "CREATE TABLE big (id int, note text); \
         INSERT INTO big SELECT g, 'x' FROM generate_series(1, 100001) g; ANALYZE big;",
        "CREATE TABLE big (id int NOT NULL, note text);",
        json!({}),
    )
    .await;
    let shown = described(&plan);
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert!(shown[1].contains("validate the check"), "{shown:?}");
    // The live table's size, read from the live database for the tables the plan rewrites,
    // is in the stored plan's hazards.
    let hazards = plan["plan"]["steps"].to_string();
    assert!(hazards.contains("public.big (≈100.0 k rows"), "{hazards}");
    assert_eq!(sql.matches("COMMIT;").count(), 3, "{sql}");

    // Concurrent index builds between transactional groups: a column added (in a
    // transaction), two indexes built concurrently (each on its own), a comment (in a
    // transaction again).
    let (plan, sql) = through_the_registry(
        &base,
        "concurrent",
        "CREATE TABLE t (id int PRIMARY KEY, a int); INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g;",
        "CREATE TABLE t (id int PRIMARY KEY, a int, b int); CREATE INDEX t_a ON t (a); CREATE INDEX t_b ON t (b); \
         COMMENT ON TABLE t IS 'indexed';",
        json!({"concurrently": true}),
    )
    .await;
    let outside: Vec<bool> = steps(&plan).iter().map(|s| s["transactional"] == false).collect();
    assert_eq!(outside.iter().filter(|o| **o).count(), 2, "{plan}");
    assert!(!outside[0] && !outside[outside.len() - 1], "{plan}");
    assert_eq!(sql.matches("CREATE INDEX CONCURRENTLY \"").count(), 2, "{sql}");
    assert_eq!(sql.matches("BEGIN;").count(), 2, "{sql}");
}

/// A live database written from DDL by another tool holds PostgreSQL's first printing of a
/// check (`(ARRAY['a'::character varying, …])::text[]`); the version pushed from the same DDL
/// is kept as PostgreSQL prints it back (`ARRAY[('a'::character varying)::text, …]`). They are
/// the same constraint: the plan only adds the new column, and once it is applied the drift
/// is empty.
#[tokio::test(flavor = "multi_thread")]
async fn a_check_written_elsewhere_is_no_difference_and_the_drift_clears() {
    let served = Served::start(&[]).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    let table = "CREATE TABLE t (id int PRIMARY KEY, status varchar(20) NOT NULL DEFAULT 'a' \
                 CHECK (status IN ('a', 'b')), kind varchar CHECK (kind = ANY (ARRAY['x', 'y']))";
    let (plan, _) = through_the_registry(
        &base,
        "elsewhere",
        &format!("{table}); INSERT INTO t VALUES (1, 'b', 'x');"),
        &format!("{table}, note text);"),
        json!({}),
    )
    .await;
    let shown = described(&plan);
    assert_eq!(shown, ["add column public.t.note"]);
}

/// Default privileges without `FOR ROLE` are the applying role's: a version that names that
/// role (as pg_dump writes them) is no different from the live database that set them without
/// a name; another role's are planned with `FOR ROLE`, applied and verified.
#[tokio::test(flavor = "multi_thread")]
async fn default_privileges_of_the_applier_and_of_another_role() {
    let leases = holding(&["shape_reader", "shape_owner"]).await;
    let served = Served::start(&[]).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    let user = TestDb::new().await.current_user().await;
    let table = "CREATE TABLE t (id int);";
    let (plan, sql) = through_the_registry(
        &base,
        "defaults",
        &format!("{table} ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO shape_reader;"),
        &format!(
            "{table} ALTER DEFAULT PRIVILEGES FOR ROLE \"{user}\" IN SCHEMA public GRANT SELECT ON TABLES TO shape_reader;
             ALTER DEFAULT PRIVILEGES FOR ROLE shape_owner IN SCHEMA public GRANT INSERT ON TABLES TO shape_reader;"
        ),
        json!({}),
    )
    .await;
    let shown = described(&plan);
    assert_eq!(
        shown,
        ["grant INSERT to role shape_reader in default privileges of role shape_owner on tables in schema public"]
    );
    assert_eq!(steps(&plan)[0]["for_role"], "shape_owner", "{plan}");
    assert!(sql.contains("ALTER DEFAULT PRIVILEGES FOR ROLE \"shape_owner\" IN SCHEMA \"public\" GRANT INSERT ON TABLES TO \"shape_reader\";"), "{sql}");
    leases.drop_now().await.unwrap();
}

/// With the `owners` preset, a version that gives a SECURITY DEFINER function to another role
/// (and names the applier as the owner of the rest, as pg_dump does) is planned as that one
/// change, applied and verified; the drift is then empty.
#[tokio::test(flavor = "multi_thread")]
async fn owners_compared_when_the_scope_asks_for_them() {
    let leases = holding(&["shape_definer"]).await;
    let served = Served::start(&[]).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    let (status, body) = call(
        &base,
        "POST",
        "/v1/services",
        Some(&json!({"name": "owned", "scope": {"presets": ["owners"]}})),
    );
    assert_eq!(status, 201, "{body}");
    let user = TestDb::new().await.current_user().await;
    let function = "CREATE FUNCTION is_admin(uid int) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER AS $$ SELECT uid = 0 $$;";
    let (plan, sql) = through_the_registry(
        &base,
        "owned",
        &format!("CREATE TABLE t (id int); {function}"),
        &format!(
            "CREATE TABLE t (id int); ALTER TABLE t OWNER TO \"{user}\"; {function}
             ALTER FUNCTION is_admin(int) OWNER TO shape_definer;"
        ),
        json!({}),
    )
    .await;
    let shown = described(&plan);
    assert_eq!(
        shown,
        ["give routine public.is_admin(uid integer) to role shape_definer"]
    );
    assert_eq!(steps(&plan)[0]["for_role"], "shape_definer", "{plan}");
    assert!(
        sql.contains("ALTER ROUTINE \"public\".\"is_admin\"(uid integer) OWNER TO \"shape_definer\";"),
        "{sql}"
    );
    leases.drop_now().await.unwrap();
}
