//! A registry killed in the middle of an apply: after a restart the plan says so (failed, not
//! applying for ever), the target database is as before the interrupted transactional group,
//! and the database's apply lock is free again.

use std::process::{Child, Command};
use std::time::Duration;

use schemareg::auth::{Role, sign};
use schemareg::config::Config;
use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

const SECRET: &str = "a-kill-test-secret-that-is-long-enough-0123456789";

struct Registry {
    child: Child,
    base: String,
}

impl Registry {
    async fn start(dir: &std::path::Path, port: u16) -> Self {
        let settings = [
            ("SCHEMAREG_JWT_HS256_SECRET", SECRET),
            ("SCHEMAREG_LEASE_SECS", "2"),
            ("SCHEMAREG_REQUEST_TIMEOUT_SECS", "3"),
            ("SCHEMAREG_PUSH_WAIT_SECS", "2"),
        ];
        let child = crate::support::serve_command(env!("CARGO_BIN_EXE_schemareg").as_ref(), dir, port, &settings)
            .spawn()
            .unwrap();
        assert!(
            crate::common::wait_for_port(port).await,
            "schemareg serve did not start listening"
        );
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
    }
}

fn token() -> String {
    let config = Config {
        jwt_hs256_secret: Some(SECRET.into()),
        ..Config::default()
    };
    sign(&config, "operator", &[Role::Admin], 600).unwrap()
}

/// One request with curl: (status, body as JSON or null).
fn call(base: &str, method: &str, path: &str, headers: &[&str], body: Option<&str>) -> (u16, Value) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-X", method, "-w", "\n%{http_code}", "-H"])
        .arg(format!("Authorization: Bearer {}", token()));
    for h in headers {
        cmd.args(["-H", h]);
    }
    if let Some(b) = body {
        cmd.args(["--data-binary", b]);
    }
    let out = cmd.arg(format!("{base}{path}")).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (
        status.trim().parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

fn json_call(base: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    call(
        base,
        method,
        path,
        &["Content-Type: application/json"],
        Some(&body.to_string()),
    )
}

async fn settled(base: &str, id: &str) -> Value {
    for _ in 0..300 {
        let (_, plan) = call(base, "GET", &format!("/v1/plans/{id}"), &[], None);
        if plan["state"] != "computing" {
            return plan;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("plan {id} is still computing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_killed_mid_apply() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    let mut registry = Registry::start(dir.path(), port).await;
    let base = registry.base.clone();
    let live = TestDb::new().await;
    live.execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100);")
        .await;

    // dev waits up to a minute for locks, so the apply blocks on the test's lock below.
    let (_, policy) = call(&base, "GET", "/v1/environments/dev/policy", &[], None);
    let mut patient = policy["policy"].clone();
    patient["lock_timeout"] = json!("60s");
    let (status, _) = call(
        &base,
        "PUT",
        "/v1/environments/dev/policy",
        &["Content-Type: application/json", "If-Match: \"0\""],
        Some(&patient.to_string()),
    );
    assert_eq!(status, 200);
    assert_eq!(
        json_call(&base, "POST", "/v1/services", json!({"name": "billing"})).0,
        201
    );
    let ddl = "CREATE TABLE t (id int PRIMARY KEY, name text DEFAULT 'x', age int);";
    let pushed = call(
        &base,
        "POST",
        "/v1/services/billing/versions",
        &["Content-Type: application/sql"],
        Some(ddl),
    );
    assert_eq!(pushed.0, 201, "{}", pushed.1);
    let bound = json_call(
        &base,
        "PUT",
        "/v1/services/billing/environments/dev",
        json!({"database_url": live.url()}),
    );
    assert_eq!(bound.0, 201, "{}", bound.1);
    let (_, created) = json_call(&base, "POST", "/v1/services/billing/environments/dev/plans", json!({}));
    let id = created["id"].as_str().unwrap().to_string();
    let plan = settled(&base, &id).await;
    assert_eq!(plan["state"], "approved", "{plan}");

    // The test holds the table; the apply starts and waits for it; the registry is killed.
    let holder = live.client().await;
    holder
        .batch_execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE;")
        .await
        .unwrap();
    let (status, applying) = call(&base, "POST", &format!("/v1/plans/{id}/apply"), &[], None);
    assert_eq!(
        (status, applying["state"].as_str()),
        (202, Some("applying")),
        "{applying}"
    );
    registry.kill();
    holder.batch_execute("COMMIT;").await.unwrap();

    // Restarted: once the lease has run out the plan says what happened.
    let registry = Registry::start(dir.path(), port).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, after) = call(&registry.base, "GET", &format!("/v1/plans/{id}"), &[], None);
    assert_eq!(after["state"], "failed", "{after}");
    assert!(
        after["error"].as_str().unwrap().contains("stopped before it was done"),
        "{after}"
    );
    // The database is as before the interrupted group: no new column, every row there.
    let c = live.client().await;
    let columns: i64 = c
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 't'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let rows: i64 = c.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get(0);
    assert_eq!((columns, rows), (1, 100));

    // The database's lock is free: a new plan applies and is verified.
    let (_, created) = json_call(
        &registry.base,
        "POST",
        "/v1/services/billing/environments/dev/plans",
        json!({}),
    );
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(settled(&registry.base, &id).await["state"], "approved");
    let (status, _) = call(&registry.base, "POST", &format!("/v1/plans/{id}/apply"), &[], None);
    assert!(status == 200 || status == 202, "{status}");
    let mut state = Value::Null;
    for _ in 0..100 {
        state = call(&registry.base, "GET", &format!("/v1/plans/{id}"), &[], None).1["state"].clone();
        if state != "applying" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, "verified");
    let (_, log) = call(
        &registry.base,
        "GET",
        "/v1/audit?action=plan.apply&limit=100",
        &[],
        None,
    );
    assert_eq!(
        log["items"].as_array().unwrap().len(),
        1,
        "only the second apply finished: {log}"
    );
}
