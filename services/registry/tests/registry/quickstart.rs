//! The README's quick start, run as it is against `schemareg serve` (the real binary on a free
//! port), so that it cannot rot.

use std::process::{Child, Command, Stdio};

use schemareg_adapters::testing::{TestDb, server_url};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.0.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.0.wait();
    }
}

fn quickstart_block() -> String {
    let readme = std::fs::read_to_string(crate::common::repo().join("README.md")).unwrap();
    let after = readme
        .split("<!-- quickstart -->")
        .nth(1)
        .expect("the README has a <!-- quickstart --> block");
    let body = after.split("```sh\n").nth(1).unwrap();
    body.split("\n```").next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_quick_start_works() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    let data = dir.path().join("data");
    let envs = [
        ("SCHEMAREG_LISTEN", format!("127.0.0.1:{port}")),
        (
            "SCHEMAREG_STORE_URL",
            format!("sqlite://{}/schemareg.db", data.display()),
        ),
        ("SCHEMAREG_DATA_DIR", data.display().to_string()),
        ("SCHEMAREG_SCRATCH_URL", server_url()),
    ];
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_schemareg"))
            .arg("serve")
            .envs(envs.iter().cloned())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    assert!(
        crate::common::wait_for_port(port).await,
        "schemareg serve did not start listening"
    );
    let db = TestDb::new().await;
    db.execute("CREATE TABLE items (id bigint PRIMARY KEY);").await;
    let out = Command::new("timeout")
        .args(["120", "bash", "-euo", "pipefail", "-c", &quickstart_block()])
        .current_dir(crate::common::repo())
        .envs(envs.iter().cloned())
        .env("SCHEMAREG", &base)
        .env("SHOP_DEV_URL", db.url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the quick start failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"state\":\"drifted\""), "{stdout}");
    // The audit log of the real server says where each request came from.
    let audit = Command::new("bash")
        .args([
            "-c",
            "curl -fsS -H \"Authorization: Bearer $(./target/debug/schemareg token --role admin)\" \"$SCHEMAREG/v1/audit?limit=1\"",
        ])
        .current_dir(crate::common::repo())
        .envs(envs.iter().cloned())
        .env("SCHEMAREG", &base)
        .output()
        .unwrap();
    let audit = String::from_utf8_lossy(&audit.stdout);
    assert!(audit.contains("\"action\":\"service.create\""), "{audit}");
    assert!(audit.contains("\"address\":\"127.0.0.1\""), "{audit}");
    assert!(audit.contains("\"user_agent\":\"curl/"), "{audit}");
    assert!(
        stdout.contains("ALTER TABLE \"public\".\"items\" ADD COLUMN \"name\" text"),
        "{stdout}"
    );
    // The apply at the end: verified, and the database has the new column.
    assert!(stdout.contains("\"state\":\"verified\""), "{stdout}");
    let columns: i64 = db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(columns, 2);
}
