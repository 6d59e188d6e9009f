//! Webhooks from the real binary to a receiver on loopback: a promotion's events arrive in
//! order as CloudEvents signed the Standard Webhooks way (checked by that project's own Python
//! library, which also refuses a tampered body); a receiver that fails three times gets the
//! event once; redirects are not followed; events queued when a registry is killed are
//! delivered after it starts again; two replicas on one PostgreSQL store send each event once;
//! and URLs that lead inside the network are refused unless the configuration allows them.
//!
//! One module per subject: `events` (what a promotion sends, and its signatures),
//! `deliveries` (retries, redirects, dead deliveries, slow receivers), `subscriptions` (the URLs
//! and roles allowed), `replicas` (a killed registry, two replicas on one store); `receiver`
//! holds the receivers on loopback, and the helpers every module uses are here.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::clients::tools;
use crate::served::{call, call_raw};

use receiver::Received;

mod deliveries;
mod events;
mod receiver;
mod replicas;
mod subscriptions;

/// Settings of a registry that may send to loopback, retries fast and links to a public URL.
const LOOPBACK: [(&str, &str); 4] = [
    ("SCHEMAREG_WEBHOOK_ALLOWED_NETWORKS", "[\"127.0.0.0/8\"]"),
    ("SCHEMAREG_WEBHOOK_BACKOFF_MS", "200"),
    ("SCHEMAREG_PUBLIC_URL", "https://registry.example"),
    ("SCHEMAREG_DRIFT_WATCH", "false"),
];

/// Subscribes `url` to `events`; the subscription's id and secret.
fn subscribe(base: &str, url: &str, events: &[&str]) -> (String, String) {
    let (status, body) = call(
        base,
        "POST",
        "/v1/webhooks",
        Some(&json!({"url": url, "events": events, "description": "test receiver"})),
    );
    assert_eq!(status, 201, "{body}");
    (
        body["id"].as_str().unwrap().to_string(),
        body["secret"].as_str().unwrap().to_string(),
    )
}

/// Which of the requests the Standard Webhooks Python library accepts with `secret`: one
/// line per request, `ok` or why not.
fn verified_by_the_reference(secret: &str, requests: &[(String, String, String, String)]) -> Vec<String> {
    let python = tools::python_bin().join("python");
    let script = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
hook = Webhook(sys.argv[1])
for line in sys.stdin:
    r = json.loads(line)
    headers = {"webhook-id": r["id"], "webhook-timestamp": r["timestamp"], "webhook-signature": r["signature"]}
    try:
        hook.verify(r["body"], headers)
        print("ok")
    except Exception as e:
        print("refused: %s" % e)
"#;
    let mut child = Command::new(python)
        .args(["-c", script, secret])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for (id, timestamp, signature, body) in requests {
            let line = json!({"id": id, "timestamp": timestamp, "signature": signature, "body": body});
            writeln!(stdin, "{line}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn as_sent(r: &Received) -> (String, String, String, String) {
    (r.id.clone(), r.timestamp.clone(), r.signature.clone(), r.body.clone())
}

async fn push_versions(base: &str, n: usize) {
    for i in 0..n {
        let ddl = format!("CREATE TABLE t{i} (id bigint PRIMARY KEY);");
        assert_eq!(
            call_raw(base, "POST", "/v1/services/shop/versions", "application/sql", &ddl).0,
            201
        );
    }
}
