//! The LOG-158 story over REST: the models' DDL pushed, `dev` bound to a database loaded with
//! `live_before.sql` with the `supabase` preset, drift listing exactly the scenario's
//! differences, a plan created and verified, its SQL applied with psql, then no drift.

use crate::common::*;
use crate::http::{Api, Backend, url_with_password};
use axum::http::StatusCode;
use schemareg::auth::Role;
use schemareg_adapters::introspect::introspect;
use schemareg_engine::Scope;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn log158_over_rest() {
    let api = Api::new(Backend::Sqlite).await;
    let (admin, reader) = (api.admin(), api.token(&[Role::Reader]));
    let models = read(&fixture("log158_models.sql"));
    let r = api
        .post_json(
            "/v1/services",
            &admin,
            json!({"name": "log158", "owners": ["data-team"], "scope": {"presets": ["supabase"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = api
        .push(
            "log158",
            &api.token(&[Role::Publisher]),
            "application/sql",
            models.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let live = loaded(&read(&live_before())).await;
    let r = api
        .put_json(
            "/v1/services/log158/environments/dev",
            &admin,
            json!({"database_url": url_with_password(&live), "scope": {"presets": ["supabase"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // Drift: exactly the scenario's differences, as the engine finds them between the live
    // database and the models (both read with the supabase preset).
    let supabase = Scope::new::<&str, &str>(&[], &["supabase"]).unwrap();
    let live_snapshot = supabase.apply(introspect(&live.client().await).await.unwrap().0);
    let wanted = supabase.apply(ingested(&models, "models.sql").await);
    let expected = serde_json::to_value(schemareg_engine::diff::diff(&live_snapshot, &wanted)).unwrap();
    let drift = api.get("/v1/services/log158/environments/dev/drift", &reader).await;
    assert_eq!(drift.status, StatusCode::OK, "{}", drift.text);
    let drift = drift.json();
    assert_eq!(drift["state"], "drifted");
    assert_eq!(drift["changes"], expected);
    assert_eq!(drift["live_fingerprint"], schemareg_engine::digest(&live_snapshot));
    let sql = drift["sql"].as_str().unwrap();
    assert!(sql.contains("CREATE TYPE \"public\".\"query_status\""), "{sql}");
    assert!(
        !sql.contains("\"auth\"."),
        "the supabase schemas are out of scope: {sql}"
    );

    // A plan, verified in a scratch database before anyone sees it.
    let created = api
        .post_json(
            "/v1/services/log158/environments/dev/plans",
            &api.token(&[Role::Deployer]),
            json!({}),
        )
        .await;
    assert!(matches!(created.status.as_u16(), 201 | 202), "{}", created.text);
    let location = created.headers["location"].to_str().unwrap().to_string();
    let plan = loop {
        let p = api.get(&location, &reader).await.json();
        if p["state"] != "computing" {
            break p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(plan["state"], "approved", "{plan}");
    assert!(plan["verification"].as_str().unwrap().starts_with("verified"), "{plan}");
    assert_eq!(plan["from_fingerprint"], drift["live_fingerprint"]);
    assert!(
        plan["hazards"].as_array().unwrap().contains(&json!("table_rewrite")),
        "{plan}"
    );

    // Applied by an operator with psql: the rows stay, and drift is empty.
    let before = rows(&live).await;
    let script = api.get_sql(&location, &reader).await.text;
    psql(&live, &script);
    assert_eq!(rows(&live).await, before);
    let drift = api
        .get("/v1/services/log158/environments/dev/drift?refresh=true", &reader)
        .await
        .json();
    assert_eq!(
        (drift["state"].as_str(), drift["changes"].clone()),
        (Some("in_sync"), json!([]))
    );
    let overview = api.get("/v1/overview", &reader).await.json();
    assert_eq!(overview["services"][0]["environments"][0]["verified_version"], 1);
    api.assert_no_secret_shown();
}

async fn rows(db: &schemareg_adapters::testing::TestDb) -> i64 {
    db.client()
        .await
        .query_one("SELECT count(*) FROM public.queries", &[])
        .await
        .unwrap()
        .get(0)
}
