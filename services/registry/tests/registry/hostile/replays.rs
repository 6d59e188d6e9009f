//! What a client without the right gets, whatever it sends (issue 31, items 5 and 9):
//!
//! - an `Idempotency-Key` replayed by another token of the same subject without the role got
//!   the first answer (a webhook's signing secret): a replay is answered only to a request
//!   that passes the same role and scope checks, and is audited as a replay;
//! - a body over the limit was a 413 before the role check: the 403 comes first;
//! - a scoped token's 403 for another service's plan named that service: it is a 404, as for
//!   a plan that does not exist;
//! - a rejection through the API took an empty reason (the console refused it).

use schemareg::auth::Role;
use serde_json::{Value, json};

use crate::served::{Served, bind_dev, call, call_as, scoped_token, shop, token_as};

/// A POST with an `Idempotency-Key`: status, `Idempotent-Replayed`, body.
async fn post_keyed(base: &str, token: &str, path: &str, key: &str, body: &Value) -> (u16, bool, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").is_some();
    let text = r.text().await.unwrap();
    (status, replayed, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_replay_is_answered_only_to_whom_the_request_is_allowed() {
    let served = Served::start(&[
        ("SCHEMAREG_DRIFT_WATCH", "false"),
        ("SCHEMAREG_WEBHOOKS", "false"),
        ("SCHEMAREG_WEBHOOK_ALLOWED_NETWORKS", "[\"127.0.0.0/8\"]"),
    ])
    .await;
    let base = served.base();
    let admin = token_as("ops", &[Role::Admin]);
    let reader = token_as("ops", &[Role::Reader]);
    let hook = json!({"url": "http://127.0.0.1:9/hook", "events": ["*"]});
    let (status, replayed, first) = post_keyed(&base, &admin, "/v1/webhooks", "key-1", &hook).await;
    assert_eq!((status, replayed), (201, false), "{first}");
    assert!(first["secret"].as_str().unwrap().starts_with("whsec_"));

    // The same subject, the same key and request, without the role: the 403, no secret.
    let (status, replayed, answer) = post_keyed(&base, &reader, "/v1/webhooks", "key-1", &hook).await;
    assert_eq!((status, replayed), (403, false), "{answer}");
    assert!(!answer.to_string().contains("whsec_"), "{answer}");

    // With the role: the first answer again, audited as a replay.
    let (status, replayed, again) = post_keyed(&base, &admin, "/v1/webhooks", "key-1", &hook).await;
    assert_eq!((status, replayed, &again["id"]), (201, true, &first["id"]), "{again}");
    let (_, audit) = call(&base, "GET", "/v1/audit?subject=ops&limit=100", None);
    let actions: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [("webhook.create", "ok"), ("denied", "denied"), ("replay", "replayed")],
        "{audit}"
    );

    // Scoped to another service: the plan's service decides, before any replay.
    shop(&base, Some("CREATE TABLE items (id bigint PRIMARY KEY);"));
    let dev = schemareg_adapters::testing::TestDb::new().await;
    bind_dev(&base, &dev.url());
    let deployer = token_as("ci", &[Role::Deployer]);
    let (status, _, plan) = post_keyed(
        &base,
        &deployer,
        "/v1/services/shop/environments/dev/plans",
        "plan-1",
        &json!({}),
    )
    .await;
    assert!(matches!(status, 201 | 202), "{plan}");
    let elsewhere = scoped_token("ci", &[Role::Deployer], &["billing"]);
    let (status, replayed, answer) = post_keyed(
        &base,
        &elsewhere,
        "/v1/services/shop/environments/dev/plans",
        "plan-1",
        &json!({}),
    )
    .await;
    assert_eq!((status, replayed), (403, false), "{answer}");
    assert!(answer.get("id").is_none(), "{answer}");
}

#[tokio::test]
async fn the_caller_is_checked_before_the_body_and_a_plan_out_of_scope_does_not_exist() {
    let served = Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false"), ("SCHEMAREG_BODY_LIMIT", "65536")]).await;
    let base = served.base();
    shop(&base, Some("CREATE TABLE items (id bigint PRIMARY KEY);"));
    let big = format!("CREATE TABLE t (id int); -- {}", "x".repeat(100_000));
    let reader = token_as("someone", &[Role::Reader]);
    let publisher = token_as("ci", &[Role::Publisher]);
    for key in [None, Some("big-1")] {
        let push = |token: &str| {
            let mut r = reqwest::Client::new()
                .post(format!("{base}/v1/services/shop/versions"))
                .bearer_auth(token)
                .header("content-type", "application/sql")
                .body(big.clone());
            if let Some(k) = key {
                r = r.header("idempotency-key", k);
            }
            r.send()
        };
        let refused = push(&reader).await.unwrap();
        assert_eq!(
            refused.status().as_u16(),
            403,
            "a reader, key {key:?}: 403 before the body"
        );
        let too_large = push(&publisher).await.unwrap();
        assert_eq!(too_large.status().as_u16(), 413, "a publisher, key {key:?}");
    }

    // A plan of shop, read and acted on with a token scoped to billing: 404, shop unnamed.
    let dev = schemareg_adapters::testing::TestDb::new().await;
    bind_dev(&base, &dev.url());
    let (status, plan) = call(
        &base,
        "POST",
        "/v1/services/shop/environments/dev/plans",
        Some(&json!({})),
    );
    assert!(matches!(status, 201 | 202), "{plan}");
    let id = plan["id"].as_str().unwrap();
    let billing = scoped_token("someone", &[Role::Admin], &["billing"]);
    for (method, path) in [
        ("GET", format!("/v1/plans/{id}")),
        ("POST", format!("/v1/plans/{id}/approvals")),
        ("POST", format!("/v1/plans/{id}/rejection")),
        ("POST", format!("/v1/plans/{id}/cancellation")),
        ("POST", format!("/v1/plans/{id}/apply")),
        ("POST", format!("/v1/plans/{id}/report")),
    ] {
        let body = json!({"comment": "no", "outcome": "applied"});
        let (status, answer) = call_as(&billing, &base, method, &path, Some(&body));
        assert_eq!(status, 404, "{method} {path}: {answer}");
        assert!(!answer.to_string().contains("shop"), "{method} {path}: {answer}");
        let nowhere = path.replace(id, "plan_0000000000000000");
        let (status, missing) = call_as(&billing, &base, method, &nowhere, Some(&body));
        assert_eq!(
            (
                status,
                missing["detail"]
                    .as_str()
                    .map(|d| d.replace("plan_0000000000000000", id))
            ),
            (404, answer["detail"].as_str().map(String::from)),
            "answered as a plan that does not exist"
        );
    }

    // A rejection says why, through the API as in the console.
    let approver = token_as("ann", &[Role::Approver]);
    for comment in ["", "   "] {
        let (status, p) = call_as(
            &approver,
            &base,
            "POST",
            &format!("/v1/plans/{id}/rejection"),
            Some(&json!({"comment": comment})),
        );
        assert_eq!(status, 422, "{comment:?}: {p}");
        assert_eq!(p["errors"][0]["field"], "comment", "{p}");
    }
}
