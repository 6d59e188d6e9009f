#![allow(dead_code)]
//! The real binary on a socket, for what only a real server shows (connections, hyper's own
//! answers).

use std::process::{Child, Command};

use schemareg_adapters::testing::server_url;

pub const SECRET: &str = "a-hostile-test-secret-that-is-long-enough-0123";

/// A `schemareg serve` on a free port, killed when dropped.
pub struct Served {
    child: Child,
    pub port: u16,
    /// The store it was started on.
    pub store_url: String,
    _dir: tempfile::TempDir,
}

impl Served {
    /// Starts the binary with extra `SCHEMAREG_*` settings (an empty value unsets one:
    /// `SCHEMAREG_SCRATCH_URL` empty, and the registry starts a private cluster).
    pub async fn start(settings: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = crate::common::free_port();
        let ours = [
            ("SCHEMAREG_JWT_HS256_SECRET", SECRET),
            // Tests stop it at once; the delay is tried in stopping.rs.
            ("SCHEMAREG_DRAIN_DELAY_SECS", "0"),
            // Pushes answered in the request whatever the machine's load (slow_pushes.rs
            // tries the background).
            ("SCHEMAREG_PUSH_WAIT_SECS", "25"),
        ];
        let all: Vec<(&str, &str)> = ours.iter().chain(settings).copied().collect();
        let mut cmd = crate::support::serve_command(env!("CARGO_BIN_EXE_schemareg").as_ref(), dir.path(), port, &all);
        let store_url = settings
            .iter()
            .find(|(k, _)| *k == "SCHEMAREG_STORE_URL")
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| format!("sqlite://{}/store.db", dir.path().display()));
        let child = cmd.spawn().unwrap();
        assert!(
            crate::common::wait_for_port(port).await,
            "schemareg serve did not start"
        );
        Self {
            child,
            port,
            store_url,
            _dir: dir,
        }
    }

    /// What the server logged so far (warnings and errors by default).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("serve.log")).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends a signal to the process.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, signal).unwrap();
    }

    /// Waits for the process to exit (at most `within`); its exit code, or none while it runs.
    pub async fn exited(&mut self, within: std::time::Duration) -> Option<i32> {
        let started = std::time::Instant::now();
        while started.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.code().unwrap_or(-1));
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        None
    }
}

impl Served {
    /// Kills the server at once (no graceful shutdown: what a crash leaves).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    /// Asks the server to stop (it drops its scratch templates), and kills it after 5 s.
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            eprintln!("the served registry's log (last 40 lines):\n{}", tail.join("\n"));
        }
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends raw bytes and reads the whole answer (the server closes or answers with a length).
pub async fn raw(port: u16, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).to_string()
}

/// An admin token for the served registry.
pub fn token() -> String {
    token_as("operator", &[schemareg::auth::Role::Admin])
}

/// A token for the served registry, for a subject with roles.
pub fn token_as(subject: &str, roles: &[schemareg::auth::Role]) -> String {
    signed_with(SECRET, subject, roles)
}

/// A token signed with a secret (another registry's: a forgery here).
pub fn signed_with(secret: &str, subject: &str, roles: &[schemareg::auth::Role]) -> String {
    let config = schemareg::config::Config {
        jwt_hs256_secret: Some(secret.into()),
        ..Default::default()
    };
    schemareg::auth::sign(&config, subject, roles, 3600).unwrap()
}

/// The configuration tokens for the served registry are signed with.
pub fn config() -> schemareg::config::Config {
    schemareg::config::Config {
        jwt_hs256_secret: Some(SECRET.into()),
        ..Default::default()
    }
}

/// One request with curl, with a body of a media type or none: its status and body (JSON, or
/// null).
fn curl(base: &str, method: &str, path: &str, body: Option<(&str, &str)>) -> (u16, serde_json::Value) {
    curl_as(&token(), base, method, path, body)
}

fn curl_as(token: &str, base: &str, method: &str, path: &str, body: Option<(&str, &str)>) -> (u16, serde_json::Value) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-X", method, "-w", "\n%{http_code}", "-H"])
        .arg(format!("Authorization: Bearer {token}"));
    if let Some((content_type, body)) = body {
        cmd.args(["-H", &format!("Content-Type: {content_type}"), "--data-binary", body]);
    }
    let out = cmd.arg(format!("{base}{path}")).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (
        status.trim().parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

/// A JSON request (or one without a body) with a token.
pub fn call_as(
    token: &str,
    base: &str,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> (u16, serde_json::Value) {
    let text = body.map(|b| b.to_string());
    curl_as(
        token,
        base,
        method,
        path,
        text.as_deref().map(|t| ("application/json", t)),
    )
}

/// A request with a body of a media type.
pub fn call_raw(base: &str, method: &str, path: &str, content_type: &str, body: &str) -> (u16, serde_json::Value) {
    curl(base, method, path, Some((content_type, body)))
}

/// A JSON request (or one without a body).
pub fn call(base: &str, method: &str, path: &str, body: Option<&serde_json::Value>) -> (u16, serde_json::Value) {
    let text = body.map(|b| b.to_string());
    curl(base, method, path, text.as_deref().map(|t| ("application/json", t)))
}

/// The service `shop` with its first version, pushed as DDL (`None`: the service alone).
pub fn shop(base: &str, ddl: Option<&str>) {
    let (status, body) = call(base, "POST", "/v1/services", Some(&serde_json::json!({"name": "shop"})));
    assert_eq!(status, 201, "{body}");
    if let Some(ddl) = ddl {
        let (status, body) = call_raw(base, "POST", "/v1/services/shop/versions", "application/sql", ddl);
        assert_eq!(status, 201, "{body}");
    }
}

/// Binds `shop` in dev to the database at `url`.
pub fn bind_dev(base: &str, url: &str) {
    let (status, body) = call(
        base,
        "PUT",
        "/v1/services/shop/environments/dev",
        Some(&serde_json::json!({"database_url": url})),
    );
    assert_eq!(status, 201, "{body}");
}

/// A token for the served registry scoped to `services`.
pub fn scoped_token(subject: &str, roles: &[schemareg::auth::Role], services: &[&str]) -> String {
    let services = services.iter().map(|s| s.to_string()).collect();
    schemareg::auth::sign_scoped(&config(), subject, roles, Some(services), None, 3600).unwrap()
}

/// A plan once it is no longer computing.
pub async fn computed(base: &str, id: &str) -> serde_json::Value {
    for _ in 0..600 {
        let (_, p) = call(base, "GET", &format!("/v1/plans/{id}"), None);
        if p["state"] != "computing" {
            return p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("plan {id} is still computing after a minute");
}

/// A plan once it is neither computing nor applying, waited for at most `within`.
pub async fn settled(base: &str, id: &str, within: std::time::Duration) -> serde_json::Value {
    let started = std::time::Instant::now();
    loop {
        let (_, plan) = call(base, "GET", &format!("/v1/plans/{id}"), None);
        if !matches!(plan["state"].as_str(), Some("computing" | "applying")) {
            return plan;
        }
        assert!(
            started.elapsed() < within,
            "plan {id} still {} after {within:?}",
            plan["state"]
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Sets one field of an environment's policy (the rest as it is), with the `If-Match` of the
/// policy read.
pub fn set_policy(base: &str, environment: &str, field: &str, value: serde_json::Value) {
    let (_, view) = call(base, "GET", &format!("/v1/environments/{environment}/policy"), None);
    let mut policy = view["policy"].clone();
    policy[field] = value;
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT"])
        .args(["-H", &format!("Authorization: Bearer {}", token())])
        .args(["-H", "Content-Type: application/json"])
        .args(["-H", &format!("If-Match: \"{}\"", view["version"])])
        .args(["--data-binary", &policy.to_string()])
        .arg(format!("{base}/v1/environments/{environment}/policy"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
}

/// A TCP proxy to the test server, to be stopped while the registry uses it.
pub async fn proxy() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = server_url();
    let (scheme, rest) = url.split_once("://").unwrap();
    let (auth, tail) = rest.split_once('@').unwrap();
    let (host_port, path) = tail.split_at(tail.find('/').unwrap_or(tail.len()));
    let upstream = host_port.to_string();
    let task = tokio::spawn(async move {
        loop {
            let (mut inbound, _) = listener.accept().await.unwrap();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (format!("{scheme}://{auth}@127.0.0.1:{port}{path}"), task)
}
