//! Clients that send half a header are cut off after `header_read_timeout`; while they wait,
//! the others are served as fast as before; past `max_connections` a new connection waits for
//! a free place.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::served::Served;

/// The latencies of `n` requests to `/healthz`, one connection each, in order.
async fn healthz(port: u16, n: usize) -> Vec<Duration> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut body = Vec::new();
        s.read_to_end(&mut body).await.unwrap();
        assert!(body.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&body));
        out.push(t.elapsed());
    }
    out
}

fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[(samples.len() * 99 / 100).min(samples.len() - 1)]
}

/// Opens `n` connections that each send half a request head and then nothing. Each is watched
/// from the moment it is opened (not after the measurements beside it), so the time it stayed
/// open is the server's doing: the handle answers how long it stayed, or `None` when it was
/// still open after `limit`.
async fn slow(port: u16, n: usize, limit: Duration) -> Vec<JoinHandle<Option<Duration>>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let opened = Instant::now();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHo").await.unwrap();
        out.push(tokio::spawn(async move {
            let mut buf = [0u8; 64];
            match tokio::time::timeout(limit, s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => Some(opened.elapsed()),
                _ => None,
            }
        }));
    }
    out
}

/// Waits until the server has closed each connection; the longest a connection stayed open.
async fn closed(conns: Vec<JoinHandle<Option<Duration>>>, limit: Duration) -> Duration {
    let mut longest = Duration::ZERO;
    for c in conns {
        let stayed = c.await.unwrap();
        let stayed = stayed.unwrap_or_else(|| panic!("a slow connection was still open after {limit:?}"));
        longest = longest.max(stayed);
    }
    longest
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_slow_clients_are_closed_and_others_served() {
    let server = Served::start(&[("SCHEMAREG_HEADER_READ_TIMEOUT_SECS", "3")]).await;
    healthz(server.port, 50).await; // warm up
    let before = p99(healthz(server.port, 300).await);
    let conns = slow(server.port, 1000, Duration::from_secs(10)).await;
    // The best of three: the other tests beside this one (browsers, fuzzers) only ever add to
    // a measurement; slow clients that hurt the server would hurt all three.
    let mut during = Duration::MAX;
    for _ in 0..3 {
        during = during.min(p99(healthz(server.port, 300).await));
    }
    let longest = closed(conns, Duration::from_secs(10)).await;
    eprintln!(
        "slow clients: /healthz p99 {:.2} ms before, {:.2} ms with 1,000 slow connections open; \
         each closed at most {:.1} s after it opened (header_read_timeout 3 s)",
        before.as_secs_f64() * 1e3,
        during.as_secs_f64() * 1e3,
        longest.as_secs_f64()
    );
    // Within 2x (a floor of 5 ms keeps the noise of the other tests running beside this one on
    // a 2-core machine out of it).
    assert!(
        during <= before.max(Duration::from_millis(5)) * 2,
        "p99 went from {before:?} to {during:?}"
    );
    assert!(longest < Duration::from_millis(4500), "a connection stayed {longest:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn past_max_connections_a_client_waits_for_a_place() {
    let server = Served::start(&[
        ("SCHEMAREG_HEADER_READ_TIMEOUT_SECS", "2"),
        ("SCHEMAREG_MAX_CONNECTIONS", "20"),
    ])
    .await;
    let opened = Instant::now();
    let conns = slow(server.port, 20, Duration::from_secs(5)).await;
    // The 21st is served once the slow ones are cut off, not before.
    let waited = healthz(server.port, 1).await[0];
    assert!(
        waited >= Duration::from_millis(1500) && opened.elapsed() < Duration::from_secs(6),
        "served after {waited:?}"
    );
    closed(conns, Duration::from_secs(5)).await;
    assert!(
        healthz(server.port, 5)
            .await
            .iter()
            .all(|d| *d < Duration::from_secs(1))
    );
}
