//! A registry stops and starts safely: SIGTERM turns `/readyz` to 503 first and lets a request
//! in flight finish before the process exits; a second `schemareg serve` on the same SQLite
//! file is refused with exit code 2 and a message; a store written by a newer binary is
//! refused the same way, never half-migrated.

use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::Signal;
use schemareg_adapters::testing::TestDb;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{free_port, stderr};
use crate::served::{SECRET, Served, call, token};

/// `schemareg serve` on `port`, a store and a data directory (the test server as its scratch
/// server), with no other settings than these.
fn serve(port: u16, store_url: &str, dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_schemareg"));
    c.arg("serve")
        .env("SCHEMAREG_LISTEN", format!("127.0.0.1:{port}"))
        .env("SCHEMAREG_STORE_URL", store_url)
        .env("SCHEMAREG_DATA_DIR", dir)
        .env("SCHEMAREG_SCRATCH_URL", schemareg_adapters::testing::server_url())
        .env_remove("SCHEMAREG_CONFIG");
    c
}

/// `schemareg serve` on a store, run to its end (it should not start).
fn serve_once(store_url: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    serve(free_port(), store_url, dir.path())
        .env("SCHEMAREG_JWT_HS256_SECRET", SECRET)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_registry_on_one_sqlite_file_is_refused_with_a_message() {
    let served = Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    let out = serve_once(&served.store_url);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("another schemareg process uses the SQLite store") && text.contains("PostgreSQL store"),
        "{text}"
    );
    assert!(!text.contains("listening"), "refused before it listens: {text}");
    // The first one serves on, its store whole.
    assert_eq!(
        call(&served.base(), "POST", "/v1/services", Some(&json!({"name": "shop"}))).0,
        201
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_written_by_a_newer_binary_is_refused() {
    let store = TestDb::new().await;
    let url = store.url();
    {
        let served = Served::start(&[
            ("SCHEMAREG_STORE_URL", url.as_str()),
            ("SCHEMAREG_DRIFT_WATCH", "false"),
        ])
        .await;
        assert_eq!(
            call(&served.base(), "POST", "/v1/services", Some(&json!({"name": "shop"}))).0,
            201
        );
    }
    store
        .execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', true, '\\x00', 0)",
        )
        .await;
    let out = serve_once(&store.url());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("written by a newer schemareg") && text.contains("migration 9999"),
        "{text}"
    );
    assert!(!text.contains(&store.url()), "no store URL in the message");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_turns_readiness_off_first_and_lets_a_request_in_flight_finish() {
    let mut served = Served::start(&[("SCHEMAREG_DRAIN_DELAY_SECS", "2"), ("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    let base = served.base();
    assert_eq!(
        call(&base, "POST", "/v1/services", Some(&json!({"name": "shop"}))).0,
        201
    );
    assert_eq!(call(&base, "GET", "/readyz", None).0, 200);

    // A push whose body is still coming when the registry is asked to stop.
    let body = "CREATE TABLE items (id bigint PRIMARY KEY);";
    let (first, rest) = body.split_at(10);
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", served.port))
        .await
        .unwrap();
    let head = format!(
        "POST /v1/services/shop/versions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/sql\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        token(),
        body.len()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    served.signal(Signal::SIGTERM);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, problem) = call(&base, "GET", "/readyz", None);
    assert_eq!(status, 503, "not ready while it stops: {problem}");
    assert!(problem["detail"].as_str().unwrap().contains("stopping"), "{problem}");
    assert_eq!(served.exited(Duration::from_millis(100)).await, None, "still serving");

    // After the drain delay the listener is closed, and the request in flight still finishes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", served.port))
            .await
            .is_err(),
        "no new connections"
    );
    slow.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    slow.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert_eq!(served.exited(Duration::from_secs(10)).await, Some(0));
}

/// A registry whose stderr is a pipe nobody reads any more (a log shipper restarted, `| head`)
/// serves on and stops cleanly: its messages and log lines are lost, never a panic (exit 101
/// at the first message, or a request's task gone at its log line).
#[tokio::test(flavor = "multi_thread")]
async fn a_registry_whose_stderr_is_closed_serves_on_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let store = format!("sqlite://{}/store.db", dir.path().display());
    let mut child = serve(port, &store, dir.path())
        .env("SCHEMAREG_DRAIN_DELAY_SECS", "0")
        .env("SCHEMAREG_DRIFT_WATCH", "false")
        // Every request logged (each a write to the closed pipe), and the development key's
        // message printed at start.
        .env("SCHEMAREG_LOG", "debug")
        .env_remove("SCHEMAREG_JWT_HS256_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert!(
        crate::common::wait_for_port(port).await,
        "schemareg serve did not start"
    );
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..3 {
        assert_eq!(call(&base, "GET", "/healthz", None).0, 200);
        assert_eq!(call(&base, "GET", "/v1/overview", None).0, 401);
    }
    assert_eq!(
        child.try_wait().unwrap(),
        None,
        "still serving after its messages were lost"
    );
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let started = std::time::Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        assert!(started.elapsed() < Duration::from_secs(15), "did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(code, Some(0), "a clean stop, not a panic");
}
