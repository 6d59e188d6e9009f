//! Tokens: HS256, RS256 and ES256 accepted when signature, time window, issuer and audience
//! hold; every other token refused with 401 (or 403 for a missing role) and a problem body.

use crate::http::{Api, Backend};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use schemareg::auth::Role;
use serde_json::{Value, json};

const SECRET: &str = "a-test-secret-that-is-long-enough-0123456789";

fn key(name: &str) -> String {
    common_keys().join(name).display().to_string()
}

fn common_keys() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/keys")
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn claims() -> Value {
    json!({"sub": "ci", "iss": "schemareg", "aud": "schemareg", "exp": now() + 600, "roles": ["reader"]})
}

fn signed(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, key).unwrap()
}

fn hs(claims: &Value) -> String {
    signed(Algorithm::HS256, &EncodingKey::from_secret(SECRET.as_bytes()), claims)
}

async fn status(api: &Api, token: &str) -> (u16, Value) {
    let r = api.get("/v1/environments", token).await;
    let body = r.json();
    if r.status.as_u16() >= 400 {
        r.problem(r.status.as_u16());
    }
    (r.status.as_u16(), body)
}

fn with(mut c: Value, key: &str, value: Value) -> Value {
    c[key] = value;
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn hs256_tokens_are_checked() {
    let api = Api::new(Backend::Sqlite).await;
    assert_eq!(status(&api, &hs(&claims())).await.0, 200);
    // `aud` may be a list that names this registry (as identity providers issue it).
    let listed = with(claims(), "aud", json!(["dashboard", "schemareg"]));
    assert_eq!(status(&api, &hs(&listed)).await.0, 200);
    let elsewhere = with(claims(), "aud", json!(["dashboard", "billing"]));
    assert_eq!(status(&api, &hs(&elsewhere)).await.0, 401);
    let refused = [
        ("expired", hs(&with(claims(), "exp", json!(now() - 3600)))),
        ("not yet valid", hs(&with(claims(), "nbf", json!(now() + 3600)))),
        ("wrong issuer", hs(&with(claims(), "iss", json!("someone-else")))),
        ("wrong audience", hs(&with(claims(), "aud", json!("another-service")))),
        (
            "wrong signature",
            signed(
                Algorithm::HS256,
                &EncodingKey::from_secret(b"another-secret-that-is-long-enough-987654"),
                &claims(),
            ),
        ),
        ("no exp", {
            let mut c = claims();
            c.as_object_mut().unwrap().remove("exp");
            hs(&c)
        }),
        ("not a JWT", "not-a-token".to_string()),
        ("alg none", {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
            let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
            format!("{header}.{payload}.")
        }),
        (
            "RS256 when only HS256 is configured",
            signed(
                Algorithm::RS256,
                &EncodingKey::from_rsa_pem(&std::fs::read(key("rs256-private.pem")).unwrap()).unwrap(),
                &claims(),
            ),
        ),
    ];
    for (what, token) in refused {
        let (code, problem) = status(&api, &token).await;
        assert_eq!(code, 401, "{what}: {problem}");
    }
    // No header, or not a bearer token.
    let r = api
        .request(axum::http::Method::GET, "/v1/environments", None, &[], "")
        .await;
    assert_eq!(r.headers["www-authenticate"], "Bearer");
    r.problem(401);
    api.request(
        axum::http::Method::GET,
        "/v1/environments",
        None,
        &[("authorization", "Basic dXNlcjpwYXNz")],
        "",
    )
    .await
    .problem(401);
    // A token with no known role may not read; one without the role an operation needs gets 403.
    assert_eq!(
        status(&api, &hs(&with(claims(), "roles", json!(["janitor"])))).await.0,
        403
    );
    let reader = api.token(&[Role::Reader]);
    let p = api
        .post_json("/v1/services", &reader, json!({"name": "billing"}))
        .await
        .problem(403);
    assert!(p["detail"].as_str().unwrap().contains("publisher"), "{p}");
    // Health, metrics and the OpenAPI document need no token.
    for open in ["/healthz", "/openapi.json", "/metrics"] {
        let r = api.request(axum::http::Method::GET, open, None, &[], "").await;
        assert_eq!(r.status, 200, "{open}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn public_keys_pin_their_algorithm() {
    let api = Api::with(Backend::Sqlite, |c| {
        c.jwt_hs256_secret = None;
        c.jwt_public_keys = vec![key("rs256-public.pem"), key("es256-public.pem")];
    })
    .await;
    let rsa = EncodingKey::from_rsa_pem(&std::fs::read(key("rs256-private.pem")).unwrap()).unwrap();
    let ec = EncodingKey::from_ec_pem(&std::fs::read(key("es256-private.pem")).unwrap()).unwrap();
    assert_eq!(status(&api, &signed(Algorithm::RS256, &rsa, &claims())).await.0, 200);
    assert_eq!(status(&api, &signed(Algorithm::ES256, &ec, &claims())).await.0, 200);
    // HS256 "signed" with the RS256 public key (the classic confusion) is refused, as is an
    // RS256 token signed by another key, and an expired RS256 token.
    let public = std::fs::read(key("rs256-public.pem")).unwrap();
    let confused = signed(Algorithm::HS256, &EncodingKey::from_secret(&public), &claims());
    assert_eq!(status(&api, &confused).await.0, 401);
    let ec_as_rs = signed(Algorithm::ES256, &ec, &claims()).replacen(
        &URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#),
        &URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"RS256"}"#),
        1,
    );
    assert_eq!(status(&api, &ec_as_rs).await.0, 401);
    let expired = signed(Algorithm::RS256, &rsa, &with(claims(), "exp", json!(now() - 3600)));
    let (code, problem) = status(&api, &expired).await;
    assert_eq!(code, 401);
    assert!(problem["detail"].as_str().unwrap().contains("expired"), "{problem}");
    // With public keys only, the registry cannot sign development tokens.
    assert!(schemareg::auth::sign(&api.config, "x", &[Role::Admin], 60).is_err());
}
