//! Roles that pushed SQL names are created on the scratch server for the run and dropped after
//! it, whether the run succeeds or fails; roles the server had are kept. A plan that names roles
//! the target lacks fails and says which to create.

use axum::http::StatusCode;
use schemareg_adapters::testing::{TestDb, roles_like, server_url};
use serde_json::json;

use crate::http::{Api, Backend};

fn prefix() -> String {
    format!("hostile_{}_", schemareg_adapters::random_hex(4))
}

fn with_policy(role: &str) -> String {
    format!(
        "CREATE TABLE t (id int PRIMARY KEY, owner text);\n\
         ALTER TABLE t ENABLE ROW LEVEL SECURITY;\n\
         CREATE POLICY own ON t TO {role} USING (owner = current_user);\n"
    )
}

on_both_stores!(pushed_sql_leaves_no_role_behind);

async fn pushed_sql_leaves_no_role_behind(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let p = prefix();
    api.service("shop").await;
    api.service("billing").await;
    // A push that succeeds, two at once that need the same role, and one that fails after the
    // role was made.
    let ok = api
        .push("shop", &admin, "application/sql", with_policy(&format!("{p}reader")))
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    let snapshot = api.get("/v1/services/shop/versions/1/snapshot", &admin).await.json();
    assert_eq!(
        snapshot["tables"][0]["policies"][0]["roles"],
        json!([format!("{p}reader")])
    );
    let shared = format!("{p}shared");
    let (a, b) = tokio::join!(
        api.push(
            "shop",
            &admin,
            "application/sql",
            format!("{}-- a", with_policy(&shared))
        ),
        api.push(
            "billing",
            &admin,
            "application/sql",
            format!("{}-- b", with_policy(&shared))
        ),
    );
    assert!(a.status.is_success() && b.status.is_success(), "{} {}", a.text, b.text);
    let failed = api
        .push(
            "shop",
            &admin,
            "application/sql",
            format!("{}CREATE TABLE t (id int);", with_policy(&format!("{p}failed"))),
        )
        .await;
    failed.problem(422);
    assert_eq!(roles_like(&p).await, Vec::<String>::new());
}

on_both_stores!(verification_leaves_no_role_behind);

async fn verification_leaves_no_role_behind(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let p = prefix();
    api.service("shop").await;
    let live = TestDb::new().await;
    live.execute("CREATE TABLE t (id int PRIMARY KEY, owner text);").await;
    let r = api
        .push("shop", &admin, "application/sql", with_policy(&format!("{p}verified")))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // The target lacks the role the policy names: the plan fails and says which to create.
    let plan = api.plan_in_dev("shop", &live.url()).await.json();
    assert_eq!(plan["state"], "failed", "{plan}");
    let error = plan["error"].as_str().unwrap_or_default();
    assert!(error.contains(&format!("does not have: {p}verified")), "{error}");
    assert_eq!(plan["plan"]["roles"], json!([format!("{p}verified")]));
    assert_eq!(roles_like(&p).await, Vec::<String>::new());
    // Once the role exists there, the plan verifies, and verification keeps the role.
    let admin_db = schemareg_adapters::pg::Target::parse(&server_url()).unwrap();
    let c = admin_db.connect().await.unwrap();
    c.batch_execute(&format!("CREATE ROLE {p}verified NOLOGIN"))
        .await
        .unwrap();
    let plan = api.plan_in_dev("shop", &live.url()).await.json();
    assert!(
        plan["verification"].as_str().unwrap_or("").starts_with("verified"),
        "{plan}"
    );
    assert_eq!(roles_like(&p).await, vec![format!("{p}verified")]);
    c.batch_execute(&format!("DROP ROLE {p}verified")).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_the_server_had_are_kept_and_leftovers_are_swept() {
    let p = prefix();
    let kept = format!("{p}kept");
    let admin = schemareg_adapters::pg::Target::parse(&server_url()).unwrap();
    let c = admin.connect().await.unwrap();
    c.batch_execute(&format!("CREATE ROLE {kept} NOLOGIN")).await.unwrap();
    let scratch = schemareg_adapters::testing::scratch().await;
    let out = schemareg_adapters::ingest::ingest(&scratch, &with_policy(&kept), "kept.sql").await;
    assert!(out.is_ok(), "{out:?}");
    assert_eq!(
        roles_like(&p).await,
        vec![kept.clone()],
        "a role the server had is kept"
    );
    c.batch_execute(&format!("DROP ROLE {kept}")).await.unwrap();
    // A role a stopped run left (marked, nobody holding it) is dropped by the next run.
    let left = format!("{p}left");
    c.batch_execute(&format!(
        "CREATE ROLE {left} NOLOGIN; COMMENT ON ROLE {left} IS 'made by schemareg for scratch runs; dropped when no run needs it'"
    ))
    .await
    .unwrap();
    scratch.sweep_roles().await.unwrap();
    assert_eq!(roles_like(&p).await, Vec::<String>::new());
}

on_both_stores!(objects_given_away_and_default_privileges_leave_no_role_behind);

/// `ALTER … OWNER TO` and `ALTER DEFAULT PRIVILEGES FOR ROLE` run with the admin's help: what
/// they name is looked up or read, never pasted, a name that finds nothing is the client's
/// mistake (422 at its line), and the roles made for the run are dropped after it.
async fn objects_given_away_and_default_privileges_leave_no_role_behind(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let p = prefix();
    api.service("shop").await;
    let given = format!(
        "CREATE TABLE t (id int);\nALTER TABLE t OWNER TO {p}owner;\n\
         ALTER DEFAULT PRIVILEGES FOR ROLE {p}owner IN SCHEMA public GRANT SELECT ON TABLES TO {p}reader;\n"
    );
    let ok = api.push("shop", &admin, "application/sql", given).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    let snapshot = api.get("/v1/services/shop/versions/1/snapshot", &admin).await.json();
    assert_eq!(
        snapshot["default_privileges"][0]["role"],
        json!(format!("{p}owner")),
        "{snapshot}"
    );
    for (sql, line) in [
        (
            format!("CREATE TABLE t (id int);\nALTER TABLE nope OWNER TO {p}owner;"),
            2,
        ),
        (
            format!("CREATE TABLE t (id int);\n\nALTER TABLE \"t; DROP TABLE t\" OWNER TO {p}owner;"),
            3,
        ),
        (
            format!(
                "CREATE TABLE t (id int);\nALTER DEFAULT PRIVILEGES FOR ROLE {p}owner GRANT SELECT ON TABLES TO 'x';"
            ),
            2,
        ),
    ] {
        let refused = api.push("shop", &admin, "application/sql", sql.clone()).await;
        let problem = refused.problem(422);
        assert_eq!(problem["errors"][0]["line"], line, "{sql}: {problem}");
    }
    assert_eq!(roles_like(&p).await, Vec::<String>::new());
}

/// A role PostgreSQL will not make (a reserved name) is the pushed schema's mistake: 422 that
/// names it, not a 503 that blames the scratch server (issue 31, item 9).
#[tokio::test]
async fn a_role_postgresql_refuses_is_a_422() {
    let served = crate::served::Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    let base = served.base();
    crate::served::shop(&base, None);
    for role in ["pg_schemareg_reserved", "pg_monitor_x"] {
        let quoted = format!("\"{role}\"");
        let ddl = with_policy(&quoted);
        let (status, p) = crate::served::call_raw(&base, "POST", "/v1/services/shop/versions", "application/sql", &ddl);
        assert_eq!(status, 422, "{role}: {p}");
        assert!(p["detail"].as_str().unwrap().contains(role), "{role}: {p}");
        let snapshot = json!({"format": 1, "schemas": [{"name": "public"}], "tables": [{"schema": "public", "name": "t",
            "columns": [{"name": "id", "type": "integer"}], "row_security": {"enabled": true},
            "policies": [{"name": "own", "command": "all", "permissive": true, "roles": [role], "using": "true"}]}]});
        let (status, p) = crate::served::call(&base, "POST", "/v1/services/shop/versions", Some(&snapshot));
        assert_eq!(status, 422, "{role} in a snapshot: {p}");
    }
}
