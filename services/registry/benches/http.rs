//! `make bench` (part 3): requests/s and p99 latency on loopback for reading a version and its
//! snapshot (next to the registry's own /healthz: the target is half of it), a gzipped snapshot
//! and an idempotent re-push of a snapshot, next to a trivial axum handler measured in the same
//! run.
//! 32 keep-alive connections, 5 s per case, a 20-table schema, SQLite store. The servers run on a
//! runtime with one worker thread and the client on a runtime of its own (one core each on a
//! 2-core machine), so a request's latency includes its wait in the server's queue.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use schemareg::auth::{Role, sign};
use schemareg::config::Config;
use schemareg::state::AppState;

/// The allocator `schemareg serve` runs with (`src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONNECTIONS: usize = 32;
const SECONDS: u64 = 5;

/// The trivial reference on `axum::serve`; the registry on its own server (`schemareg::server`,
/// with its header timeout and connection cap), as `schemareg serve` runs it.
async fn serve(app: axum::Router, registry: Option<&Config>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    match registry {
        Some(config) => {
            let limits = schemareg::http::server::Limits::from_config(config);
            tokio::spawn(async move {
                let forever = std::future::pending::<()>();
                schemareg::http::server::serve(listener, app, limits, forever, std::time::Duration::from_secs(1))
                    .await
                    .unwrap()
            });
        }
        None => {
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        }
    }
    addr
}

#[derive(Clone)]
struct Call {
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

async fn once(addr: SocketAddr, call: &Call) -> (u16, Bytes) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    send(&mut sender, addr, call).await
}

async fn send(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    call: &Call,
) -> (u16, Bytes) {
    let mut req = Request::builder()
        .method(call.method)
        .uri(&call.path)
        .header("host", addr.to_string());
    for (k, v) in &call.headers {
        req = req.header(*k, v);
    }
    let res = sender
        .send_request(req.body(Full::new(call.body.clone())).unwrap())
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.into_body().collect().await.unwrap().to_bytes())
}

/// Requests per second and p99 latency (ms) of `call` on CONNECTIONS connections.
async fn load(addr: SocketAddr, call: Call, expect: u16) -> (f64, f64) {
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let tasks = (0..CONNECTIONS)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .unwrap();
                tokio::spawn(conn);
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let start = Instant::now();
                    let (status, _) = send(&mut sender, addr, &call).await;
                    assert_eq!(status, expect, "{} {}", call.method, call.path);
                    latencies.push(start.elapsed());
                }
                latencies
            })
        })
        // Spawned all at once: a lazy map would start each connection after the one before ended.
        .collect::<Vec<_>>();
    let mut all: Vec<Duration> = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let p99 = all[(all.len() * 99 / 100).min(all.len() - 1)];
    (all.len() as f64 / SECONDS as f64, p99.as_secs_f64() * 1000.0)
}

fn schema() -> String {
    (0..20)
        .map(|i| {
            format!(
                "CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz DEFAULT now(), \
                 parent bigint REFERENCES t{i}(id));\nCREATE INDEX t{i}_name ON t{i} (name);\n"
            )
        })
        .collect()
}

fn main() {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        store_url: format!("sqlite://{}/store.db", dir.path().display()),
        data_dir: dir.path().display().to_string(),
        jwt_hs256_secret: Some("a-bench-secret-that-is-long-enough-0123456789".into()),
        ..Config::default()
    };
    let token = sign(&config, "bench", &[Role::Admin], 3600).unwrap();
    let (registry, trivial) = server.block_on(async {
        let scratch_url = std::env::var("DATABASE_URL").expect("run with make bench (DATABASE_URL)");
        let scratch = schemareg_adapters::scratch::ScratchServer::connect(&scratch_url)
            .await
            .unwrap();
        let state = AppState::new(config.clone(), scratch).await.unwrap();
        let registry = serve(schemareg::app::app(state), Some(&config)).await;
        let trivial = serve(
            axum::Router::new().route("/ping", axum::routing::get(|| async { "ok" })),
            None,
        )
        .await;
        (registry, trivial)
    });
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    client.block_on(async {
        let auth = ("authorization", format!("Bearer {token}"));
        let json = ("content-type", "application/json".to_string());
        let call = |method, path: &str, headers: Vec<(&'static str, String)>, body: Bytes| Call {
            method,
            path: path.into(),
            headers,
            body,
        };
        let (s, _) = once(
            registry,
            &call(
                "POST",
                "/v1/services",
                vec![auth.clone(), json.clone()],
                Bytes::from(r#"{"name":"bench"}"#),
            ),
        )
        .await;
        assert_eq!(s, 201);
        let sql = ("content-type", "application/sql".to_string());
        let (s, _) = once(
            registry,
            &call(
                "POST",
                "/v1/services/bench/versions",
                vec![auth.clone(), sql],
                schema().into(),
            ),
        )
        .await;
        assert_eq!(s, 201);
        let (_, snapshot) = once(
            registry,
            &call(
                "GET",
                "/v1/services/bench/versions/1/snapshot",
                vec![auth.clone()],
                Bytes::new(),
            ),
        )
        .await;
        println!(
            "HTTP on loopback: {CONNECTIONS} keep-alive connections, {SECONDS} s per case, a 20-table schema \
             ({} bytes of snapshot JSON), SQLite store",
            snapshot.len()
        );
        let (base_rps, base_p99) = load(trivial, call("GET", "/ping", vec![], Bytes::new()), 200).await;
        println!("  trivial axum handler      {base_rps:>9.0} req/s   p99 {base_p99:>7.2} ms   (reference)");
        // The registry's own cheapest answer, through all its layers: the target for reads of
        // immutable versions is at least half of it.
        let (health_rps, health_p99) = load(registry, call("GET", "/healthz", vec![], Bytes::new()), 200).await;
        println!(
            "  registry /healthz         {health_rps:>9.0} req/s   p99 {health_p99:>7.2} ms   (reference on the same server)"
        );
        for (name, path) in [
            ("GET a version", "/v1/services/bench/versions/1"),
            ("GET its snapshot (JSON)", "/v1/services/bench/versions/1/snapshot"),
        ] {
            let (rps, p99) = load(registry, call("GET", path, vec![auth.clone()], Bytes::new()), 200).await;
            println!(
                "  {name:<25} {rps:>9.0} req/s   p99 {p99:>7.2} ms   ({:.2}x /healthz; target >= 0.5x)",
                rps / health_rps
            );
        }
        let cases = [
            (
                "GET its snapshot, gzip",
                call(
                    "GET",
                    "/v1/services/bench/versions/1/snapshot",
                    vec![auth.clone(), ("accept-encoding", "gzip".to_string())],
                    Bytes::new(),
                ),
            ),
            (
                "idempotent re-push (JSON)",
                call(
                    "POST",
                    "/v1/services/bench/versions",
                    vec![auth.clone(), json.clone()],
                    snapshot.clone(),
                ),
            ),
        ];
        for (name, c) in cases {
            let (rps, p99) = load(registry, c, 200).await;
            println!(
                "  {name:<25} {rps:>9.0} req/s   p99 {p99:>7.2} ms   ({:.1}x fewer req/s than the reference)",
                base_rps / rps
            );
        }
    });
}
