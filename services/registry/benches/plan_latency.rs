//! `make bench` (part 4): how long a person waits for a plan. The release binary serves on
//! loopback (SQLite store, the test server as its scratch server); for LOG-158 (the models
//! against `live_before.sql`, supabase preset) and for 1,000 generated tables with 1 % changed,
//! a version is pushed, an environment bound to the live database, and plans are created:
//! the time from `POST …/plans` until the plan has left `computing` (the live schema read, the
//! plan made and verified in a scratch database). The first plan of a FROM builds the scratch
//! template it is verified from; the next ones (median of 3) copy it.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use schemareg_adapters::testing::fixtures::{fixture, live_before, loaded, read};
use serde_json::{Value, json};

mod common;
use common::{ms, tables};

struct Server {
    child: Child,
    addr: SocketAddr,
    token: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.child.wait();
    }
}

fn binary() -> std::path::PathBuf {
    std::env::current_dir().unwrap().join("../../target/release/schemareg")
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let env = |c: &mut Command| {
        c.env("SCHEMAREG_DATA_DIR", dir.path())
            .env("SCHEMAREG_LISTEN", addr.to_string())
            .env(
                "SCHEMAREG_STORE_URL",
                format!("sqlite://{}/store.db", dir.path().display()),
            )
            .env("SCHEMAREG_SCRATCH_URL", schemareg_adapters::testing::server_url())
            .env("SCHEMAREG_SCRATCH_PREFIX", "bench_plan_")
            .env_remove("SCHEMAREG_CONFIG");
    };
    let mut serve = Command::new(binary());
    serve.arg("serve").stdout(Stdio::null()).stderr(Stdio::null());
    env(&mut serve);
    let child = serve.spawn().expect("start schemareg serve (make bench builds it)");
    let mut token = Command::new(binary());
    token.args(["token", "--subject", "bench", "--role", "admin"]);
    env(&mut token);
    let out = token.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Server {
        child,
        addr,
        token,
        _dir: dir,
    }
}

impl Server {
    async fn call(&self, method: &str, path: &str, content_type: &str, body: String) -> (u16, Value, Option<String>) {
        let stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string())
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let res = sender.send_request(req).await.unwrap();
        let status = res.status().as_u16();
        let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_string());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), location)
    }

    async fn json(&self, method: &str, path: &str, body: Value) -> Value {
        let (status, answer, _) = self.call(method, path, "application/json", body.to_string()).await;
        assert!((200..300).contains(&status), "{method} {path}: {status} {answer}");
        answer
    }

    /// Creates a plan and waits for it to leave `computing`; its state and the wait.
    async fn plan(&self, service: &str) -> (String, Duration) {
        let started = Instant::now();
        let (status, created, location) = self
            .call(
                "POST",
                &format!("/v1/services/{service}/environments/dev/plans"),
                "application/json",
                "{}".into(),
            )
            .await;
        assert!(matches!(status, 201 | 202), "{status} {created}");
        let location = location.expect("a plan's Location");
        let mut plan = created;
        while plan["state"] == "computing" {
            tokio::time::sleep(Duration::from_millis(10)).await;
            plan = self.call("GET", &location, "application/json", String::new()).await.1;
        }
        (plan["state"].as_str().unwrap_or("?").to_string(), started.elapsed())
    }
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let server = start().await;
    println!("plan latency: POST …/plans until computed (verification included); first plan, then median of 3");
    println!("{:>28} | {:>10} | {:>10} | state", "schema", "first", "next");
    let cases = [
        (
            "log158",
            "LOG-158 (supabase preset)",
            read(&fixture("log158_models.sql")),
            read(&live_before()),
            json!({"presets": ["supabase"]}),
        ),
        (
            "gen1000",
            "1,000 tables, 1 % changed",
            tables(1000, true),
            tables(1000, false),
            json!({}),
        ),
    ];
    for (service, label, wanted, live, scope) in cases {
        let live = loaded(&live).await;
        // The load's dirty pages written out: plans are timed, not the server's backlog.
        live.execute("CHECKPOINT").await;
        server
            .json("POST", "/v1/services", json!({"name": service, "scope": scope}))
            .await;
        let (status, pushed, _) = server
            .call(
                "POST",
                &format!("/v1/services/{service}/versions"),
                "application/sql",
                wanted,
            )
            .await;
        assert!(matches!(status, 200 | 201), "{status} {pushed}");
        server
            .json(
                "PUT",
                &format!("/v1/services/{service}/environments/dev"),
                json!({"database_url": live.url_with_password("bench"), "scope": scope}),
            )
            .await;
        let (state, first) = server.plan(service).await;
        let mut next = Vec::new();
        for _ in 0..3 {
            let (s, d) = server.plan(service).await;
            assert_eq!(s, state, "the same plan each time");
            next.push(d);
        }
        next.sort();
        println!("{label:>28} | {:>10} | {:>10} | {state}", ms(first), ms(next[1]));
    }
}
