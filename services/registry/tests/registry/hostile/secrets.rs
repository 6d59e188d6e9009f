//! A binding's reference to a secret of the registry's machine is limited to the configured
//! places, and nothing a secret holds ever comes back: not in the answer to the binding, not
//! in drift or a failed plan, not in the audit log or a log line.

use axum::http::StatusCode;
use schemareg::auth::Role;
use schemareg_adapters::store::{NewBinding, ScopeSpec, SecretKind};
use schemareg_adapters::testing::TestDb;
use serde_json::json;

use crate::http::{Api, Backend, logs};

/// What a hostile admin would like to read: the registry's own keys, a system file, a
/// variable of the process.
const CONTENT: &str = "c2VjcmV0LWtleS1tYXRlcmlhbC10aGF0LW11c3Qtbm90LWJlLXNob3du";

fn assert_not_shown(api: &Api, texts: &[String]) {
    for text in texts.iter().chain(api.seen.lock().unwrap().iter()) {
        assert!(!text.contains(CONTENT), "the secret's content is shown: {text}");
        assert!(!text.contains("root:x:0"), "/etc/passwd is shown: {text}");
    }
    let logs = String::from_utf8_lossy(&logs().lock().unwrap()).to_string();
    assert!(!logs.contains(CONTENT), "a log line shows the secret's content");
}

on_both_stores!(references_outside_the_configured_places_are_refused);

async fn references_outside_the_configured_places_are_refused(backend: Backend) {
    let allowed = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let secret_file = outside.path().join("dev-jwt-secret");
    std::fs::write(&secret_file, CONTENT).unwrap();
    let link = allowed.path().join("link");
    std::os::unix::fs::symlink(&secret_file, &link).unwrap();
    let dirs = vec![allowed.path().display().to_string()];
    let api = Api::with(backend, |c| c.secret_file_dirs = dirs).await;
    api.service("shop").await;
    let admin = api.admin();
    let data_dir_key = format!("file:{}/dev-jwt-secret", api.config.data_dir);
    let path = "/v1/services/shop/environments/production";
    for reference in [
        data_dir_key.as_str(),
        "file:/etc/passwd",
        &format!("file:{}", secret_file.display()),
        // A link in an allowed directory that leads out of it.
        &format!("file:{}", link.display()),
        &format!("file:{}/../x", allowed.path().display()),
        "env:HOME",
        "env:SCHEMAREG_SECRET_KEY",
        "env:SCHEMAREG_JWT_HS256_SECRET",
    ] {
        let r = api
            .put_json(path, &admin, json!({ "database_url_ref": reference }))
            .await;
        let p = r.problem(422);
        assert_eq!(
            p["type"], "https://schemareg.dev/problems/invalid-database-reference",
            "{reference}: {p}"
        );
        assert_eq!(p["errors"][0]["field"], "database_url_ref", "{p}");
    }
    assert!(api.store.binding("shop", "production").await.unwrap().is_none());
    // With no directories configured (the default), no file reference at all.
    let default = Api::new(backend).await;
    default.service("shop").await;
    let inside = allowed.path().join("url");
    std::fs::write(&inside, "postgres://app@db.internal/app").unwrap();
    let r = default
        .put_json(
            path,
            &default.admin(),
            json!({"database_url_ref": format!("file:{}", inside.display())}),
        )
        .await;
    assert!(r.problem(422)["detail"].as_str().unwrap().contains("secret_file_dirs"));
    assert_not_shown(&api, &[]);
}

on_both_stores!(a_secret_that_is_not_a_url_is_described_never_shown);

async fn a_secret_that_is_not_a_url_is_described_never_shown(backend: Backend) {
    let allowed = tempfile::tempdir().unwrap();
    let dirs = vec![allowed.path().display().to_string()];
    let api = Api::with(backend, |c| c.secret_file_dirs = dirs).await;
    api.service("shop").await;
    let admin = api.admin();
    let reader = api.token(&[Role::Reader]);
    let file = allowed.path().join("shop-production");
    let path = "/v1/services/shop/environments/production";

    // Not a URL at PUT: 422 saying what is wrong with its shape.
    std::fs::write(&file, CONTENT).unwrap();
    let reference = format!("file:{}", file.display());
    let p = api
        .put_json(path, &admin, json!({ "database_url_ref": reference }))
        .await
        .problem(422);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("not a postgres:// or postgresql:// URL"),
        "{p}"
    );
    for garbage in [
        format!("postgres://app:{CONTENT}@db:notaport/app"),
        format!("postgres://app@db/app?{CONTENT}=1"),
        format!("host=db {CONTENT}=1"),
    ] {
        std::fs::write(&file, &garbage).unwrap();
        api.put_json(path, &admin, json!({ "database_url_ref": reference }))
            .await
            .problem(422);
    }
    // A URL when bound, garbage later (the file was replaced): drift and plans say the binding
    // cannot be used and why, without the content.
    let db = TestDb::new().await;
    std::fs::write(&file, db.url()).unwrap();
    let r = api
        .put_json(path, &admin, json!({ "database_url_ref": reference }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    api.push("shop", &admin, "application/sql", "CREATE TABLE t (id int);")
        .await;
    std::fs::write(&file, CONTENT).unwrap();
    let drift = api.get(&format!("{path}/drift"), &reader).await;
    let p = drift.problem(409);
    assert_eq!(p["type"], "https://schemareg.dev/problems/unusable-binding", "{p}");
    assert!(p["detail"].as_str().unwrap().contains(&reference), "{p}");
    let plan = api
        .post_json(
            "/v1/services/shop/environments/production/plans",
            &admin,
            json!({"override_reason": "testing a broken binding"}),
        )
        .await;
    assert!(plan.status.is_client_error(), "{}", plan.text);
    let audit = api.get("/v1/audit?limit=100", &admin).await;
    assert_eq!(audit.status, StatusCode::OK);
    assert_not_shown(&api, &[drift.text, plan.text, audit.text]);
}

on_both_stores!(a_reference_stored_before_the_rules_is_refused_when_used);

async fn a_reference_stored_before_the_rules_is_refused_when_used(backend: Backend) {
    let api = Api::new(backend).await;
    api.service("shop").await;
    let admin = api.admin();
    api.push("shop", &admin, "application/sql", "CREATE TABLE t (id int);")
        .await;
    // As a registry before these rules would have stored them.
    for (environment, kind, secret) in [
        ("production", SecretKind::File, "/etc/passwd"),
        ("staging", SecretKind::Env, "HOME"),
    ] {
        api.store
            .put_binding(
                "shop",
                environment,
                &NewBinding {
                    secret_kind: kind,
                    secret: secret.into(),
                    host: None,
                    scope: ScopeSpec::default(),
                    updated_by: "old".into(),
                },
                &[],
            )
            .await
            .unwrap();
        let drift = api
            .get(&format!("/v1/services/shop/environments/{environment}/drift"), &admin)
            .await;
        let p = drift.problem(409);
        assert!(p["detail"].as_str().unwrap().contains("not allowed"), "{p}");
        let home = std::env::var("HOME").unwrap_or_default();
        assert!(home.len() < 2 || !drift.text.contains(&home), "{}", drift.text);
    }
    assert_not_shown(&api, &[]);
}

on_both_stores!(environment_references_need_the_configured_prefix);

async fn environment_references_need_the_configured_prefix(backend: Backend) {
    let api = Api::with(backend, |c| c.secret_env_prefix = "SCHEMAREG_TESTDB_".into()).await;
    api.service("shop").await;
    let admin = api.admin();
    api.push("shop", &admin, "application/sql", "CREATE TABLE t (id int);")
        .await;
    let path = "/v1/services/shop/environments/dev";
    let p = api
        .put_json(path, &admin, json!({"database_url_ref": "env:SCHEMAREG_DB_X"}))
        .await
        .problem(422);
    assert!(p["detail"].as_str().unwrap().contains("SCHEMAREG_TESTDB_"), "{p}");
    // Set to garbage in the registry's environment: 422, and not shown.
    // SAFETY: the variable's name is this test's own; nothing else reads or writes it.
    unsafe { std::env::set_var("SCHEMAREG_TESTDB_GARBAGE", CONTENT) };
    let r = api
        .put_json(
            path,
            &admin,
            json!({"database_url_ref": "env:SCHEMAREG_TESTDB_GARBAGE"}),
        )
        .await;
    r.problem(422);
    // Not set: bound (it may be set later), and a 409 naming it when used.
    let r = api
        .put_json(
            path,
            &admin,
            json!({"database_url_ref": "env:SCHEMAREG_TESTDB_NOT_SET"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let p = api.get(&format!("{path}/drift"), &admin).await.problem(409);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("env:SCHEMAREG_TESTDB_NOT_SET is not set"),
        "{p}"
    );
    assert_not_shown(&api, &[]);
}

on_both_stores!(bound_databases_must_be_allowed);

async fn bound_databases_must_be_allowed(backend: Backend) {
    let db = TestDb::new().await;
    let allowed = vec![format!("*/{}", db.name)];
    let api = Api::with(backend, |c| c.allowed_databases = allowed).await;
    api.service("shop").await;
    let admin = api.admin();
    let path = "/v1/services/shop/environments/dev";
    let p = api
        .put_json(
            path,
            &admin,
            json!({"database_url": "postgres://postgres@127.0.0.1:5432/postgres"}),
        )
        .await
        .problem(422);
    assert!(p["detail"].as_str().unwrap().contains("allowed_databases"), "{p}");
    let r = api.put_json(path, &admin, json!({"database_url": db.url()})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}
