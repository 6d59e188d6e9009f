//! Every operation of the OpenAPI document answers the error classes it documents: driven by
//! the committed document itself, on both stores, with the store unchanged after each refusal.
//! 401 without a token, 403 for a token without a known role, 404 for names that do not
//! exist; and for operations with a body: 415 for the wrong media type, 400 for JSON that does
//! not parse, 413 for a body over the limit. Each error must also be in the document.

use crate::http::{Api, Backend};
use axum::http::Method;
use serde_json::Value;

on_both_stores!(documented_errors);

/// The path with its parameters filled: names that exist, or (`missing`) names that do not.
fn fill(path: &str, missing: bool, plan: &str) -> String {
    let values: [(&str, &str, &str); 6] = [
        ("{service}", "billing", "nothing"),
        ("{environment}", "dev", "nowhere"),
        ("{version}", "1", "9"),
        ("{from}", "1", "9"),
        ("{to}", "1", "9"),
        ("{id}", plan, "plan_none"),
    ];
    values.iter().fold(path.to_string(), |p, (name, there, not)| {
        p.replace(name, if missing { not } else { there })
    })
}

/// A body the operation accepts, and its media type.
fn body(op: &Value) -> (&'static str, String) {
    let content = &op["requestBody"]["content"];
    if content.get("application/sql").is_some() {
        ("application/sql", "CREATE TABLE t (id int);".into())
    } else if op["operationId"] == "putPolicy" {
        let policy = serde_json::to_string(&schemareg::policy::Policy::default_for("dev")).unwrap();
        ("application/json", policy)
    } else if op["operationId"] == "reportPlan" {
        ("application/json", r#"{"outcome": "applied"}"#.into())
    } else if op["operationId"] == "bindDatabase" {
        (
            "application/json",
            r#"{"database_url": "postgres://app@db.internal/app"}"#.into(),
        )
    } else if op["operationId"] == "createService" || op["operationId"] == "createEnvironment" {
        ("application/json", r#"{"name": "fresh"}"#.into())
    } else {
        ("application/json", "{}".into())
    }
}

/// One check: the status, the token, whether the path names things that do not exist, the
/// headers and body, and whether it applies to the operation.
struct Case<'a>(&'a str, Option<&'a str>, bool, &'a [(&'a str, &'a str)], &'a str, bool);

async fn documented_errors(backend: Backend) {
    let api = Api::new(backend).await;
    api.service("billing").await;
    let admin = api.admin();
    api.push("billing", &admin, "application/sql", "CREATE TABLE t (id int);")
        .await;
    // A plan, so that its operations reach the checks of their bodies.
    let db = schemareg_adapters::testing::TestDb::new().await;
    api.put_json(
        "/v1/services/billing/environments/dev",
        &admin,
        serde_json::json!({"database_url": db.url()}),
    )
    .await;
    let plan = api
        .post_json(
            "/v1/services/billing/environments/dev/plans",
            &admin,
            serde_json::json!({}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let nobody = {
        use jsonwebtoken::{EncodingKey, Header};
        let now = jsonwebtoken::get_current_timestamp();
        let claims = serde_json::json!({"sub": "x", "iss": "schemareg", "aud": "schemareg", "exp": now + 600, "roles": ["janitor"]});
        let secret = api.config.jwt_hs256_secret.clone().unwrap();
        jsonwebtoken::encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(crate::common::repo().join("openapi/openapi.json")).unwrap())
            .unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let responses = &op["responses"];
            let (media, payload) = body(op);
            let headers = [("content-type", media)];
            let headers: &[(&str, &str)] = if op.get("requestBody").is_some() { &headers } else { &[] };
            let json = [("content-type", "application/json")];
            let big = format!("{payload}{}", " ".repeat(api.config.body_limit + 1));
            let has_body = op.get("requestBody").is_some();
            let cases = [
                Case("401", None, false, headers, &payload, true),
                Case("403", Some(&nobody), false, headers, &payload, true),
                Case("404", Some(&admin), true, headers, &payload, path.contains('{')),
                Case(
                    "415",
                    Some(&admin),
                    false,
                    &[("content-type", "text/plain")],
                    &payload,
                    has_body,
                ),
                Case("400", Some(&admin), false, &json, "{", has_body),
                Case("413", Some(&admin), false, headers, &big, has_body),
            ];
            for Case(status, token, missing, headers, payload, applies) in cases {
                if !applies {
                    continue;
                }
                assert!(
                    responses.get(status).is_some(),
                    "{method} {path} answers {status} but its documentation does not say so"
                );
                let target = fill(path, missing, &plan);
                let before = api.contents().await;
                let r = api
                    .request(method.clone(), &target, token, headers, payload.to_string())
                    .await;
                assert_eq!(r.status.as_str(), status, "{method} {target}: {}", r.text);
                r.problem(status.parse().unwrap());
                assert_eq!(
                    api.contents().await,
                    before,
                    "{method} {target} {status} changed the store"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 45, "only {checked} documented errors checked");
    api.assert_no_secret_shown();
}
