//! Subscriptions: URLs that lead inside the network, or are not http(s), are refused, as are
//! unknown events and services; the operations are for unscoped admins.

use schemareg::auth::Role;
use serde_json::json;

use crate::served::{Served, call, call_as, token_as};

#[tokio::test(flavor = "multi_thread")]
async fn webhook_urls_must_be_http_public_and_the_operations_are_for_unscoped_admins() {
    let strict = Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    let base = format!("http://127.0.0.1:{}", strict.port);
    for (url, says) in [
        ("http://127.0.0.1:9/hook", "loopback, private or link-local"),
        ("http://localhost:9/hook", "loopback, private or link-local"),
        ("http://10.1.2.3/hook", "loopback, private or link-local"),
        (
            "http://169.254.169.254/latest/meta-data",
            "loopback, private or link-local",
        ),
        ("http://[::1]/hook", "loopback, private or link-local"),
        // IPv6 forms that carry a loopback or private IPv4 address, and site-local.
        ("http://[::7f00:1]/hook", "loopback, private or link-local"),
        ("http://[::ffff:0:7f00:1]/hook", "loopback, private or link-local"),
        ("http://[2002:7f00:1::]/hook", "loopback, private or link-local"),
        ("http://[64:ff9b::a00:1]/hook", "loopback, private or link-local"),
        ("http://[2001:0:a00:1::1]/hook", "loopback, private or link-local"),
        ("http://[fec0::1]/hook", "loopback, private or link-local"),
        ("ftp://example.com/hook", "http:// or https://"),
        ("https://user:pw@example.com/hook", "user name or password"),
        ("not a url", "not a URL"),
    ] {
        let (status, p) = call(
            &base,
            "POST",
            "/v1/webhooks",
            Some(&json!({"url": url, "events": ["*"]})),
        );
        assert_eq!(status, 422, "{url}: {p}");
        assert_eq!(p["type"], "https://schemareg.dev/problems/invalid-webhook");
        assert!(p["detail"].as_str().unwrap().contains(says), "{url}: {p}");
    }
    let (status, p) = call(
        &base,
        "POST",
        "/v1/webhooks",
        Some(&json!({"url": "https://example.com/hook", "events": ["plan.exploded"]})),
    );
    assert_eq!(status, 422);
    assert!(p["detail"].as_str().unwrap().contains("plan.pending_approval"), "{p}");
    let (status, _) = call(
        &base,
        "POST",
        "/v1/webhooks",
        Some(&json!({"url": "https://example.com/hook", "events": ["*"], "service": "nope"})),
    );
    assert_eq!(status, 422);
    let approver = token_as("alice", &[Role::Approver]);
    assert_eq!(call_as(&approver, &base, "GET", "/v1/webhooks", None).0, 403);
    assert_eq!(call(&base, "GET", "/v1/webhooks/wh_none", None).0, 404);
}
