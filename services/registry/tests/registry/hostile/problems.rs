//! Every error is a problem document whose type is its cause: also when the echoed input is
//! huge, when hyper refuses the request itself, or when the SQL holds a NUL byte; the caller's
//! role is checked before the body; the token is read in one place.

use axum::http::{Method, StatusCode};
use schemareg::auth::Role;
use serde_json::json;

use crate::http::{Api, Backend};
use crate::served::{Served, raw};

on_both_stores!(huge_echoed_input_still_gives_a_problem_document);

async fn huge_echoed_input_still_gives_a_problem_document(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let name = "x".repeat(65_287);
    let p = api
        .post_json("/v1/services", &admin, json!({ "name": name }))
        .await
        .problem(422);
    assert_eq!(p["type"], "https://schemareg.dev/problems/invalid-name");
    assert!(p["detail"].as_str().unwrap().chars().count() <= 2001, "{}", p["detail"]);
    api.service("shop").await;
    let literal = "9".repeat(70_000);
    let r = api
        .push(
            "shop",
            &admin,
            "application/sql",
            format!("CREATE TABLE t (id int DEFAULT '{literal}x');"),
        )
        .await;
    let p = r.problem(422);
    assert_eq!(p["type"], "https://schemareg.dev/problems/invalid-sql", "{p}");
    assert!(r.text.len() < 8_000, "{} bytes", r.text.len());
}

on_both_stores!(a_nul_byte_in_sql_is_the_clients_mistake);

async fn a_nul_byte_in_sql_is_the_clients_mistake(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    api.service("shop").await;
    let r = api
        .push(
            "shop",
            &admin,
            "application/sql",
            "CREATE TABLE t (id int);\nCREATE TABLE u (\0 int);",
        )
        .await;
    let p = r.problem(422);
    assert_eq!(p["type"], "https://schemareg.dev/problems/invalid-sql", "{p}");
    assert_eq!(p["errors"][0]["line"], 2, "{p}");
    assert_eq!(p["errors"][0]["column"], 17, "{p}");
    assert!(!r.text.contains("postgres://"), "{}", r.text);
}

on_both_stores!(the_role_is_checked_before_the_body);

async fn the_role_is_checked_before_the_body(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let reader = api.token(&[Role::Reader]);
    api.service("shop").await;
    let json = [("content-type", "application/json"), ("if-match", "\"0\"")];
    let text = [("content-type", "text/plain")];
    type Headers<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Method, &str, Headers); 6] = [
        (Method::POST, "/v1/environments", &json),
        (Method::POST, "/v1/services", &text),
        (Method::PUT, "/v1/environments/dev/policy", &json),
        (Method::PUT, "/v1/services/shop/environments/dev", &json),
        (Method::POST, "/v1/services/shop/environments/dev/plans", &json),
        (Method::POST, "/v1/services/shop/versions", &text),
    ];
    for (method, path, headers) in cases {
        let r = api
            .request(method.clone(), path, Some(&reader), headers, "{not json")
            .await;
        r.problem(403);
    }
    let audit = api.get("/v1/audit?outcome=denied&limit=100", &admin).await.json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 6, "{audit}");
}

on_both_stores!(each_422_says_its_cause);

async fn each_422_says_its_cause(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    api.service("shop").await;
    let kind = |p: serde_json::Value| p["type"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let key = [("content-type", "application/json"), ("idempotency-key", "k-1")];
    api.request(Method::POST, "/v1/services", Some(&admin), &key, r#"{"name": "one"}"#)
        .await;
    let r = api
        .request(Method::POST, "/v1/services", Some(&admin), &key, r#"{"name": "two"}"#)
        .await;
    assert_eq!(kind(r.problem(422)), "idempotency-key-reused");
    let r = api
        .post_json("/v1/services", &admin, json!({"name": "Not A Name"}))
        .await;
    assert_eq!(kind(r.problem(422)), "invalid-name");
    let r = api.post_json("/v1/services", &admin, json!({"name": 7})).await;
    let p = r.problem(422);
    assert_eq!(p["errors"][0]["field"], "name", "{p}");
    assert_eq!(kind(p), "invalid-body");
    let r = api
        .post_json(
            "/v1/services",
            &admin,
            json!({"name": "x", "scope": {"presets": ["nope"]}}),
        )
        .await;
    assert_eq!(kind(r.problem(422)), "invalid-scope");
    let r = api
        .post_json(
            "/v1/plans/plan_0000000000000000/report",
            &admin,
            json!({"outcome": "maybe"}),
        )
        .await;
    r.problem(404);
    let r = api
        .request(Method::PUT, "/v1/environments/dev/policy", Some(&admin), &[("content-type", "application/json"), ("if-match", "\"0\"")],
            json!({"approvals_required": 0, "approver_roles": [], "forbidden_hazards": [], "admin_approval_hazards": [],
                "concurrently": false, "lock_timeout": "99999999999s", "statement_timeout": "30min"}).to_string())
        .await;
    assert_eq!(kind(r.problem(422)), "invalid-policy");
}

on_both_stores!(the_bearer_scheme_is_read_in_any_case_everywhere);

async fn the_bearer_scheme_is_read_in_any_case_everywhere(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let lower = format!("bearer {admin}");
    let headers = [
        ("authorization", lower.as_str()),
        ("content-type", "application/json"),
        ("idempotency-key", "lowercase-1"),
    ];
    let first = api
        .request(Method::POST, "/v1/services", None, &headers, r#"{"name": "shop"}"#)
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = api
        .request(Method::POST, "/v1/services", None, &headers, r#"{"name": "shop"}"#)
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    // A denial with the lowercase scheme is audited under the token's subject.
    let reader = format!("BEARER {}", api.token_for("rita", &[Role::Reader]));
    api.request(
        Method::POST,
        "/v1/environments",
        None,
        &[("authorization", reader.as_str())],
        "",
    )
    .await
    .problem(403);
    let audit = api.get("/v1/audit?outcome=denied", &admin).await.json();
    assert_eq!(audit["items"][0]["subject"], "rita", "{audit}");
}

on_both_stores!(tokens_get_a_few_seconds_of_leeway_and_one_issuer);

async fn tokens_get_a_few_seconds_of_leeway_and_one_issuer(backend: Backend) {
    use jsonwebtoken::{EncodingKey, Header, encode};
    let api = Api::new(backend).await;
    let secret = api.config.jwt_hs256_secret.clone().unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let sign = |claims: serde_json::Value| {
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let base = |exp: u64, iss: serde_json::Value| json!({"sub": "eve", "iss": iss, "aud": "schemareg", "exp": exp, "roles": ["admin"]});
    let expired = sign(base(now - 20, json!("schemareg")));
    api.get("/v1/overview", &expired).await.problem(401);
    let listed = sign(base(now + 600, json!(["schemareg", "elsewhere"])));
    api.get("/v1/overview", &listed).await.problem(401);
    let fine = sign(base(now + 600, json!("schemareg")));
    assert_eq!(api.get("/v1/overview", &fine).await.status, StatusCode::OK);
    let config = schemareg::config::Config {
        jwt_leeway_secs: 61,
        ..Default::default()
    };
    assert!(config.check().is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn what_hyper_refuses_is_a_problem_document_too() {
    let server = Served::start(&[]).await;
    let bad = raw(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nNot A Header\r\n\r\n").await;
    let big = raw(
        server.port,
        format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "a".repeat(70_000)
        )
        .as_bytes(),
    )
    .await;
    let long = raw(
        server.port,
        format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000)).as_bytes(),
    )
    .await;
    for (answer, status) in [(bad, 400), (big, 431), (long, 431)] {
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_else(|| panic!("{answer}"));
        assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{head}");
        assert!(head.contains("content-type: application/problem+json"), "{head}");
        let p: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(p["status"], status, "{p}");
        assert!(p["detail"].as_str().unwrap().len() > 10, "{p}");
    }
    // A path that is not UTF-8 once decoded, and a method the route does not have.
    let odd = raw(
        server.port,
        b"GET /v1/services/%FF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(odd.contains("application/problem+json"), "{odd}");
    let method = raw(
        server.port,
        b"PATCH /v1/services HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        method.starts_with("HTTP/1.1 405") && method.contains("application/problem+json"),
        "{method}"
    );
}
