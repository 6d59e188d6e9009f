//! The webhook receivers the tests run on loopback: one that keeps every request (and fails or
//! redirects when asked), and one that takes connections and never answers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::Value;

use crate::common::free_port;

/// A request the receiver got.
#[derive(Debug, Clone)]
pub(super) struct Received {
    pub(super) id: String,
    pub(super) timestamp: String,
    pub(super) signature: String,
    pub(super) content_type: String,
    pub(super) path: String,
    pub(super) body: String,
    pub(super) answered: u16,
    pub(super) at: Instant,
}

impl Received {
    pub(super) fn event(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Log {
    received: Vec<Received>,
    /// Requests still to fail with 503.
    fail: usize,
}

/// A webhook receiver on loopback that keeps every request.
#[derive(Clone)]
pub(super) struct Receiver {
    port: u16,
    log: Arc<Mutex<Log>>,
}

async fn receive(
    State(log): State<Arc<Mutex<Log>>>,
    uri: axum::http::Uri,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let mut log = log.lock().unwrap();
    let answer = if uri.path() == "/broken" {
        StatusCode::INTERNAL_SERVER_ERROR
    } else if uri.path() == "/moved" && !query.contains_key("redirected") {
        StatusCode::FOUND
    } else if log.fail > 0 {
        log.fail -= 1;
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    log.received.push(Received {
        id: text("webhook-id"),
        timestamp: text("webhook-timestamp"),
        signature: text("webhook-signature"),
        content_type: text("content-type"),
        path: uri.to_string(),
        body: String::from_utf8_lossy(&body).to_string(),
        answered: answer.as_u16(),
        at: Instant::now(),
    });
    if answer == StatusCode::FOUND {
        return (answer, [(header::LOCATION, "/hook?redirected=1")], "moved").into_response();
    }
    (answer, "thanks").into_response()
}

impl Receiver {
    /// Listens on `port` (a free one when none).
    pub(super) async fn start(port: Option<u16>, fail: usize) -> Self {
        let port = port.unwrap_or_else(free_port);
        let log = Arc::new(Mutex::new(Log { fail, ..Log::default() }));
        let app = axum::Router::new().fallback(receive).with_state(log.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { port, log }
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(super) fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().received.clone()
    }

    /// The requests answered 200.
    fn delivered(&self) -> Vec<Received> {
        self.received().into_iter().filter(|r| r.answered == 200).collect()
    }

    /// Waits until `n` requests were answered 200.
    pub(super) async fn until_delivered(&self, n: usize, within: Duration) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.delivered();
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < within,
                "{} of {n} events delivered after {within:?}: {:?}",
                got.len(),
                got.iter().map(|r| r.event()["type"].clone()).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A receiver that takes connections and never answers; stopped when dropped.
pub(super) struct Silent {
    pub(super) port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Silent {
    pub(super) async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        Self { port, task }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.task.abort();
    }
}
