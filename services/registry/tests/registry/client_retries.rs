//! The client's retries, against a registry stand-in on a socket: a POST answered 503 is sent
//! again after the time `Retry-After` asks, with the same `Idempotency-Key` (so the registry
//! runs it once); a registry that is not listening yet is waited for; one that keeps
//! answering 503 past `--retry-for` is exit 5.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Answers each request with the next of `answers` (the last one repeats), and keeps each
/// request's head.
async fn stand_in(listener: TcpListener, answers: Vec<(u16, &'static str)>, seen: Arc<Mutex<Vec<String>>>) {
    let mut n = 0;
    loop {
        let Ok((mut s, _)) = listener.accept().await else {
            return;
        };
        let mut buf = vec![0u8; 65536];
        let mut got = Vec::new();
        // The head, then the body its Content-Length announces.
        while let Ok(k) = s.read(&mut buf).await {
            if k == 0 {
                break;
            }
            got.extend_from_slice(&buf[..k]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if got.len() >= end + 4 + length {
                    break;
                }
            }
        }
        let head = String::from_utf8_lossy(&got)
            .split("\r\n\r\n")
            .next()
            .unwrap_or("")
            .to_string();
        seen.lock().unwrap().push(head);
        let (status, body) = answers[n.min(answers.len() - 1)];
        n += 1;
        let reason = if status == 503 {
            "Service Unavailable"
        } else {
            "Created"
        };
        let answer = format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\nretry-after: 1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = s.write_all(answer.as_bytes()).await;
        let _ = s.shutdown().await;
    }
}

const BUSY: &str = r#"{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"the store is busy"}"#;
const CREATED: &str = r#"{"service":"shop","number":7,"digest":"sha256:00","source":"sql","labels":{}}"#;

fn push(base: &str, retry_for: &str, ddl: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_schemareg"))
        .args(["push", "shop"])
        .arg(ddl)
        .env("SCHEMAREG_URL", base)
        .env("SCHEMAREG_TOKEN", "a-token")
        .env("SCHEMAREG_RETRY_FOR", retry_for)
        .output()
        .unwrap()
}

fn keys(seen: &Mutex<Vec<String>>) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|h| {
            h.lines()
                .find_map(|l| {
                    l.strip_prefix("idempotency-key: ")
                        .or(l.strip_prefix("Idempotency-Key: "))
                })
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_answered_503_is_sent_again_with_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let ddl = dir.path().join("schema.sql");
    std::fs::write(&ddl, "CREATE TABLE t (id int);").unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    tokio::spawn(stand_in(
        listener,
        vec![(503, BUSY), (503, BUSY), (201, CREATED)],
        seen.clone(),
    ));
    let started = Instant::now();
    let (b, d) = (base.clone(), ddl.clone());
    let o = tokio::task::spawn_blocking(move || push(&b, "30s", &d)).await.unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("shop version 7 sha256:00 (new)"));
    let sent = keys(&seen);
    assert_eq!(sent.len(), 3, "{:?}", seen.lock().unwrap());
    assert!(
        sent[0].starts_with("schemareg-") && sent.iter().all(|k| k == &sent[0]),
        "{sent:?}"
    );
    assert!(started.elapsed() >= Duration::from_secs(2), "Retry-After was honoured");

    // A registry that is still starting: the client waits for it.
    let port = crate::common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (b, d) = (base.clone(), ddl.clone());
    let client = tokio::task::spawn_blocking(move || push(&b, "30s", &d));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    tokio::spawn(stand_in(listener, vec![(201, CREATED)], seen.clone()));
    let o = client.await.unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(keys(&seen).len(), 1);

    // Busy for longer than --retry-for: exit 5, with the registry's own words.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(stand_in(listener, vec![(503, BUSY)], Arc::new(Mutex::new(Vec::new()))));
    let o = tokio::task::spawn_blocking(move || push(&base, "2s", &ddl))
        .await
        .unwrap();
    assert_eq!(o.status.code(), Some(5), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the store is busy"));
}
