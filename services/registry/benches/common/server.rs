//! The release binary serving on loopback (SQLite store, the test server as its scratch
//! server), for the benches that time what a client of the registry waits for.

use std::net::SocketAddr;
use std::process::{Child, Command};
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use super::serve::{configure, serve_command};

pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub token: String,
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

/// Starts `schemareg serve` with extra `SCHEMAREG_*` settings; scratch databases are named
/// `<prefix>…`.
pub async fn start(prefix: &str, settings_given: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut settings = vec![("SCHEMAREG_SCRATCH_PREFIX", prefix)];
    settings.extend_from_slice(settings_given);
    let child = serve_command(&binary(), dir.path(), port, &settings)
        .spawn()
        .expect("start schemareg serve (make bench builds it)");
    let mut token = Command::new(binary());
    token.args(["token", "--subject", "bench", "--role", "admin"]);
    configure(&mut token, dir.path(), port, &settings);
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
    /// The last `lines` lines the registry logged (warnings and errors).
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self._dir.path().join("serve.log")).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: String,
    ) -> (u16, Value, Option<String>) {
        self.call_with(method, path, content_type, &[], body).await
    }

    /// A request with extra headers: its status, JSON body and `Location`.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: String,
    ) -> (u16, Value, Option<String>) {
        let stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string())
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", content_type);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body))).unwrap();
        let res = sender.send_request(req).await.unwrap();
        let status = res.status().as_u16();
        let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_string());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), location)
    }

    pub async fn json(&self, method: &str, path: &str, body: Value) -> Value {
        let (status, answer, _) = self.call(method, path, "application/json", body.to_string()).await;
        assert!((200..300).contains(&status), "{method} {path}: {status} {answer}");
        answer
    }
}
