//! The registry over HTTP, end to end (router → service → store and PostgreSQL), on both
//! stores: every resource's success path and its error classes, with the store shown unchanged
//! after each failing request.

use crate::http::{Api, Backend, PASSWORD, url_with_password};
use axum::http::{Method, StatusCode};
use schemareg::auth::Role;
use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

on_both_stores!(
    services,
    versions,
    concurrent_pushes,
    environments_and_bindings,
    drift_and_plans
);

const USERS_SQL: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n";

/// Asserts that a request fails with a problem of `status` and leaves the store as it was.
async fn refused(api: &Api, status: u16, request: impl std::future::Future<Output = crate::http::Resp>) -> Value {
    let before = api.contents().await;
    let problem = request.await.problem(status);
    assert_eq!(api.contents().await, before, "a failed request changed the store");
    problem
}

async fn services(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let publisher = api.token(&[Role::Publisher]);
    let reader = api.token(&[Role::Reader]);
    let body = json!({"name": "billing", "owners": ["team-payments"], "scope": {"presets": ["supabase"]}});
    let r = api.post_json("/v1/services", &publisher, body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.headers["location"], "/v1/services/billing");
    assert_eq!(r.json()["scope"]["presets"], json!(["supabase"]));
    assert_eq!(r.json()["created_by"], "tester");

    let p = refused(&api, 409, api.post_json("/v1/services", &admin, body.clone())).await;
    assert!(p["detail"].as_str().unwrap().contains("billing"));
    refused(&api, 403, api.post_json("/v1/services", &reader, json!({"name": "x"}))).await;
    refused(
        &api,
        401,
        api.request(
            Method::POST,
            "/v1/services",
            None,
            &[("content-type", "application/json")],
            "{}",
        ),
    )
    .await;
    refused(
        &api,
        400,
        api.request(
            Method::POST,
            "/v1/services",
            Some(&admin),
            &[("content-type", "application/json")],
            "{",
        ),
    )
    .await;
    refused(
        &api,
        415,
        api.request(
            Method::POST,
            "/v1/services",
            Some(&admin),
            &[("content-type", "text/plain")],
            "x",
        ),
    )
    .await;
    let p = refused(
        &api,
        422,
        api.post_json("/v1/services", &admin, json!({"name": "Bad Name"})),
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "name");
    refused(
        &api,
        422,
        api.post_json(
            "/v1/services",
            &admin,
            json!({"name": "ok", "scope": {"presets": ["nope"]}}),
        ),
    )
    .await;
    refused(
        &api,
        422,
        api.post_json("/v1/services", &admin, json!({"name": "ok", "extra": 1})),
    )
    .await;
    let big = json!({"name": "big", "description": "x".repeat(2 * 1024 * 1024)});
    refused(&api, 413, api.post_json("/v1/services", &admin, big)).await;

    assert_eq!(
        api.get("/v1/services/billing", &reader).await.json()["owners"],
        json!(["team-payments"])
    );
    refused(&api, 404, api.get("/v1/services/nothing", &reader)).await;
    for name in ["alpha", "gamma", "zeta"] {
        api.service(name).await;
    }
    let page = api.get("/v1/services?limit=2", &reader).await.json();
    let names: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names, [json!("alpha"), json!("billing")]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let page = api
        .get(&format!("/v1/services?limit=2&cursor={cursor}"), &reader)
        .await
        .json();
    let names: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names, [json!("gamma"), json!("zeta")]);
    refused(&api, 400, api.get("/v1/services?limit=0", &reader)).await;
    refused(&api, 400, api.get("/v1/services?cursor=%21%21", &reader)).await;
    api.assert_no_secret_shown();
}

/// Rewrites a JSON document with every object's keys in reverse order and other whitespace.
fn reordered(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .rev()
                .map(|(k, v)| format!("\n  {} :  {}", Value::String(k.clone()), reordered(v)))
                .collect();
            format!("{{{}\n}}", fields.join(","))
        }
        Value::Array(items) => format!("[ {} ]", items.iter().map(reordered).collect::<Vec<_>>().join(" , ")),
        other => other.to_string(),
    }
}

async fn versions(backend: Backend) {
    let api = Api::new(backend).await;
    let publisher = api.token(&[Role::Publisher]);
    let reader = api.token(&[Role::Reader]);
    api.service("billing").await;

    let r = api.push("billing", &publisher, "application/sql", USERS_SQL).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.headers["location"], "/v1/services/billing/versions/1");
    let v1 = r.json();
    assert_eq!((v1["number"].as_i64(), v1["source"].as_str()), (Some(1), Some("sql")));

    // The same schema again: as SQL written otherwise, and as its snapshot JSON reordered.
    let same_sql = "-- users\ncreate table users (\n  id int8 primary key,\n  email text not null\n);";
    let r = api.push("billing", &publisher, "application/sql", same_sql).await;
    assert_eq!(
        (r.status, r.json()["number"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{}",
        r.text
    );
    let snapshot = api.get("/v1/services/billing/versions/1/snapshot", &reader).await;
    assert_eq!(snapshot.headers["content-type"], "application/json");
    let doc = snapshot.json();
    let r = api
        .push(
            "billing",
            &publisher,
            "application/json; charset=utf-8",
            reordered(&doc),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["number"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{}",
        r.text
    );

    // New content: the next number, with who and what pushed it.
    let r = api
        .request(
            Method::POST,
            "/v1/services/billing/versions?commit=4b825dc&pipeline_url=https%3A%2F%2Fci%2F1&labels=branch%3Dmain,team%3Dpay",
            Some(&publisher),
            &[("content-type", "application/sql")],
            format!("{USERS_SQL}CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v2 = r.json();
    assert_eq!(v2["number"], 2);
    assert_eq!(v2["commit"], "4b825dc");
    assert_eq!(v2["labels"], json!({"branch": "main", "team": "pay"}));

    // Errors, each leaving the store as it was.
    let p = refused(
        &api,
        422,
        api.push(
            "billing",
            &publisher,
            "application/sql",
            "CREATE TABLE ok (id int);\nCREATE TABEL broken (id int);",
        ),
    )
    .await;
    assert_eq!(p["errors"][0]["line"], 2, "{p}");
    assert!(p["errors"][0]["column"].as_u64().is_some(), "{p}");
    refused(
        &api,
        422,
        api.push(
            "billing",
            &publisher,
            "application/json",
            json!({"format": 99}).to_string(),
        ),
    )
    .await;
    let mut bad_default = doc.clone();
    bad_default["tables"][0]["columns"][1]["default"] = json!("no_such_function()");
    refused(
        &api,
        422,
        api.push("billing", &publisher, "application/json", bad_default.to_string()),
    )
    .await;
    refused(
        &api,
        400,
        api.push("billing", &publisher, "application/json", "{\"format\": "),
    )
    .await;
    refused(&api, 415, api.push("billing", &publisher, "text/plain", USERS_SQL)).await;
    refused(
        &api,
        415,
        api.request(
            Method::POST,
            "/v1/services/billing/versions",
            Some(&publisher),
            &[],
            USERS_SQL,
        ),
    )
    .await;
    refused(
        &api,
        413,
        api.push(
            "billing",
            &publisher,
            "application/sql",
            format!("-- {}\n", "x".repeat(2 << 20)),
        ),
    )
    .await;
    refused(&api, 403, api.push("billing", &reader, "application/sql", USERS_SQL)).await;
    refused(&api, 404, api.push("nothing", &publisher, "application/sql", USERS_SQL)).await;
    refused(
        &api,
        422,
        api.request(
            Method::POST,
            "/v1/services/billing/versions?labels=novalue",
            Some(&publisher),
            &[("content-type", "application/sql")],
            USERS_SQL,
        ),
    )
    .await;

    // Reading by number, latest, digest.
    let digest = v1["digest"].as_str().unwrap();
    for (at, number) in [("1", 1), ("latest", 2), (digest, 1)] {
        let r = api.get(&format!("/v1/services/billing/versions/{at}"), &reader).await;
        assert_eq!(r.json()["number"], number, "{at}: {}", r.text);
    }
    refused(&api, 404, api.get("/v1/services/billing/versions/9", &reader)).await;
    refused(&api, 404, api.get("/v1/services/nothing/versions/1", &reader)).await;
    refused(&api, 400, api.get("/v1/services/billing/versions/first", &reader)).await;
    refused(&api, 400, api.get("/v1/services/billing/versions/sha256:abc", &reader)).await;
    let ddl = api.get_sql("/v1/services/billing/versions/2/snapshot", &reader).await;
    assert!(
        ddl.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/sql")
    );
    assert!(ddl.text.contains("CREATE TABLE \"public\".\"orders\""), "{}", ddl.text);

    let diff = api.get("/v1/services/billing/versions/1/diff/2", &reader).await.json();
    assert_eq!(diff["from_digest"], v1["digest"]);
    assert!(!diff["steps"].as_array().unwrap().is_empty());
    let sql = api
        .get_sql("/v1/services/billing/versions/2/diff/1", &reader)
        .await
        .text;
    assert!(sql.contains("DROP TABLE \"public\".\"orders\""), "{sql}");
    let same = api.get("/v1/services/billing/versions/1/diff/1", &reader).await.json();
    assert_eq!(same["steps"], json!([]));

    let page = api.get("/v1/services/billing/versions?limit=1", &reader).await.json();
    assert_eq!(page["items"][0]["number"], 2);
    let next = page["next_cursor"].as_str().unwrap();
    let page = api
        .get(&format!("/v1/services/billing/versions?limit=1&cursor={next}"), &reader)
        .await
        .json();
    assert_eq!(page["items"][0]["number"], 1);
    // A full page ends with a cursor; the page after the last version is empty and has none.
    let next = page["next_cursor"].as_str().unwrap();
    let page = api
        .get(&format!("/v1/services/billing/versions?limit=1&cursor={next}"), &reader)
        .await
        .json();
    assert_eq!(
        (page["items"].clone(), page["next_cursor"].clone()),
        (json!([]), Value::Null)
    );
    api.assert_no_secret_shown();
}

async fn concurrent_pushes(backend: Backend) {
    let api = std::sync::Arc::new(Api::new(backend).await);
    let publisher = api.token(&[Role::Publisher]);
    api.service("source").await;
    api.service("target").await;
    api.push("source", &publisher, "application/sql", USERS_SQL).await;
    let doc = api
        .get("/v1/services/source/versions/1/snapshot", &publisher)
        .await
        .text;
    api.push("target", &publisher, "application/sql", "CREATE TABLE first (id int);")
        .await;
    let pushes = (0..20).map(|_| {
        let (api, token, doc) = (api.clone(), publisher.clone(), doc.clone());
        tokio::spawn(async move {
            let r = api.push("target", &token, "application/json", doc).await;
            if r.status != StatusCode::ACCEPTED {
                return (r.status, r.json()["number"].as_i64().unwrap());
            }
            // Twenty builds at once may take longer than a request waits: finished in the
            // background, and read until done.
            let id = r.json()["id"].as_str().unwrap().to_string();
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                let push = api.get(&format!("/v1/pushes/{id}"), &token).await.json();
                if push["state"] == "building" {
                    continue;
                }
                assert_eq!(push["state"], "done", "{push}");
                let status = match push["created"] == true {
                    true => StatusCode::CREATED,
                    false => StatusCode::OK,
                };
                return (status, push["version"].as_i64().unwrap());
            }
        })
    });
    let results: Vec<_> = futures_util::future::join_all(pushes)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .all(|(s, n)| *n == 2 && (*s == StatusCode::CREATED || *s == StatusCode::OK))
    );
    assert_eq!(api.store.version_count("target").await.unwrap(), 2);
}

async fn environments_and_bindings(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let reader = api.token(&[Role::Reader]);
    let envs = api.get("/v1/environments", &reader).await.json();
    let names: Vec<_> = envs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].clone())
        .collect();
    assert_eq!(names, [json!("dev"), json!("staging"), json!("production")]);
    let r = api.post_json("/v1/environments", &admin, json!({"name": "qa"})).await;
    assert_eq!(
        (r.status, r.json()["position"].as_i64()),
        (StatusCode::CREATED, Some(4))
    );
    refused(
        &api,
        409,
        api.post_json("/v1/environments", &admin, json!({"name": "qa"})),
    )
    .await;
    refused(
        &api,
        403,
        api.post_json("/v1/environments", &reader, json!({"name": "uat"})),
    )
    .await;
    refused(
        &api,
        422,
        api.post_json("/v1/environments", &admin, json!({"name": "UAT!"})),
    )
    .await;

    api.service("billing").await;
    let db = TestDb::new().await;
    let url = url_with_password(&db);
    let path = "/v1/services/billing/environments/dev";
    refused(&api, 404, api.get(path, &reader)).await;
    refused(&api, 422, api.put_json(path, &admin, json!({}))).await;
    refused(
        &api,
        422,
        api.put_json(path, &admin, json!({"database_url": url, "database_url_ref": "env:X"})),
    )
    .await;
    let p = refused(
        &api,
        422,
        api.put_json(
            path,
            &admin,
            json!({"database_url": format!("{url}?sslmode=sometimes")}),
        ),
    )
    .await;
    assert!(!p.to_string().contains(PASSWORD), "{p}");
    refused(
        &api,
        422,
        api.put_json(path, &admin, json!({"database_url_ref": "vault:x"})),
    )
    .await;
    refused(
        &api,
        422,
        api.put_json(path, &admin, json!({"database_url_ref": "file:relative"})),
    )
    .await;
    refused(
        &api,
        404,
        api.put_json(
            "/v1/services/billing/environments/moon",
            &admin,
            json!({"database_url": url}),
        ),
    )
    .await;
    refused(
        &api,
        404,
        api.put_json(
            "/v1/services/nothing/environments/dev",
            &admin,
            json!({"database_url": url}),
        ),
    )
    .await;
    refused(
        &api,
        403,
        api.put_json(path, &api.token(&[Role::Deployer]), json!({"database_url": url})),
    )
    .await;

    let r = api.put_json(path, &admin, json!({"database_url": url})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let b = r.json();
    assert_eq!(b["database"]["set"], true);
    assert_eq!(b["database"]["kind"], "encrypted");
    assert!(b["database"]["host"].as_str().unwrap().contains(':'), "{b}");
    let stored = api.store.existing_binding("billing", "dev").await.unwrap();
    assert!(!stored.secret.contains(PASSWORD), "the store holds the URL in clear");
    let r = api
        .put_json(
            path,
            &admin,
            json!({"database_url_ref": "env:SCHEMAREG_DB_BILLING_DEV_URL", "scope": {"presets": ["supabase"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["database"]["reference"], "SCHEMAREG_DB_BILLING_DEV_URL");
    assert_eq!(
        api.get(path, &reader).await.json()["scope"]["presets"],
        json!(["supabase"])
    );
    api.assert_no_secret_shown();
}

/// Polls a plan until it is no longer computing.
async fn settled(api: &Api, created: crate::http::Resp, token: &str) -> Value {
    assert!(
        created.status == StatusCode::CREATED || created.status == StatusCode::ACCEPTED,
        "{}",
        created.text
    );
    let location = created.headers["location"].to_str().unwrap().to_string();
    for _ in 0..600 {
        let plan = api.get(&location, token).await.json();
        if plan["state"] != "computing" {
            return plan;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the plan at {location} is still computing after a minute");
}

async fn drift_and_plans(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let reader = api.token(&[Role::Reader]);
    let deployer = api.token(&[Role::Deployer]);
    api.service("billing").await;
    let live = TestDb::new().await;
    live.execute(USERS_SQL).await;
    live.execute("INSERT INTO users VALUES (1, 'a@example.com');").await;
    let path = "/v1/services/billing/environments/dev";
    api.put_json(path, &admin, json!({"database_url": url_with_password(&live)}))
        .await;

    // Drift and plans need a version.
    refused(&api, 404, api.get(&format!("{path}/drift"), &reader)).await;
    refused(&api, 404, api.post_json(&format!("{path}/plans"), &deployer, json!({}))).await;
    let wanted = format!("{USERS_SQL}ALTER TABLE users ADD COLUMN bio text;");
    api.push("billing", &api.token(&[Role::Publisher]), "application/sql", wanted)
        .await;

    let drift = api.get(&format!("{path}/drift"), &reader).await;
    assert_eq!(drift.status, StatusCode::OK, "{}", drift.text);
    let drift = drift.json();
    assert_eq!(
        (drift["state"].as_str(), drift["version"].as_i64()),
        (Some("drifted"), Some(1))
    );
    assert_eq!(drift["changes"].as_array().unwrap().len(), 1, "{drift}");
    assert!(
        drift["sql"].as_str().unwrap().contains("ADD COLUMN \"bio\" text"),
        "{drift}"
    );
    assert!(drift["live_fingerprint"].as_str().unwrap().starts_with("sha256:"));
    refused(&api, 400, api.get(&format!("{path}/drift?version=x"), &reader)).await;
    refused(&api, 404, api.get(&format!("{path}/drift?version=7"), &reader)).await;
    refused(
        &api,
        404,
        api.get("/v1/services/billing/environments/staging/drift", &reader),
    )
    .await;
    refused(
        &api,
        401,
        api.request(Method::GET, &format!("{path}/drift"), None, &[], ""),
    )
    .await;

    // A plan: computed, verified, readable as JSON and SQL.
    refused(&api, 403, api.post_json(&format!("{path}/plans"), &reader, json!({}))).await;
    refused(
        &api,
        400,
        api.post_json(&format!("{path}/plans"), &deployer, json!({"version": "x"})),
    )
    .await;
    refused(
        &api,
        404,
        api.post_json("/v1/services/billing/environments/staging/plans", &deployer, json!({})),
    )
    .await;
    let created = api
        .post_json(&format!("{path}/plans"), &deployer, json!({"version": "latest"}))
        .await;
    let plan = settled(&api, created, &reader).await;
    // dev's policy asks for no approval: a verified plan is approved at once.
    assert_eq!(plan["state"], "approved", "{plan}");
    assert_eq!(plan["from_fingerprint"], drift["live_fingerprint"]);
    assert_eq!(plan["to_version"], 1);
    assert!(plan["verification"].as_str().unwrap().contains("verified"), "{plan}");
    let id = plan["id"].as_str().unwrap();
    let sql = api.get_sql(&format!("/v1/plans/{id}"), &reader).await;
    assert!(sql.text.contains("ADD COLUMN \"bio\" text"), "{}", sql.text);
    refused(&api, 404, api.get("/v1/plans/plan_0000", &reader)).await;
    let list = api
        .get("/v1/services/billing/plans?state=approved", &reader)
        .await
        .json();
    assert_eq!(list["items"][0]["id"], id);
    refused(&api, 400, api.get("/v1/services/billing/plans?state=sleeping", &reader)).await;

    let overview = api.get("/v1/overview", &reader).await.json();
    let dev = &overview["services"][0]["environments"][0];
    assert_eq!(overview["services"][0]["latest_version"], 1);
    assert_eq!(
        (dev["bound"].as_bool(), dev["drift_state"].as_str()),
        (Some(true), Some("drifted"))
    );
    assert_eq!(dev["pending_plans"], json!([]), "nothing waits for approval in dev");

    // Applied: the drift is gone and the version is verified there.
    live.execute(&sql.text).await;
    // The last observation is from before: read again.
    let drift = api.get(&format!("{path}/drift?refresh=true"), &reader).await.json();
    assert_eq!(
        (drift["state"].as_str(), drift["sql"].as_str()),
        (Some("in_sync"), Some(""))
    );
    let overview = api.get("/v1/overview", &reader).await.json();
    assert_eq!(overview["services"][0]["environments"][0]["verified_version"], 1);

    // A database that does not answer: 503, saying which; a secret that is not there: 409, the
    // binding is not usable as it is.
    api.put_json(
        "/v1/services/billing/environments/staging",
        &admin,
        json!({"database_url": format!("postgres://app:{PASSWORD}@127.0.0.1:1/app")}),
    )
    .await;
    let p = api
        .get("/v1/services/billing/environments/staging/drift", &reader)
        .await
        .problem(503);
    assert!(p["detail"].as_str().unwrap().contains("staging"), "{p}");
    api.put_json(
        "/v1/services/billing/environments/production",
        &admin,
        json!({"database_url_ref": "env:SCHEMAREG_DB_TEST_UNSET_VARIABLE"}),
    )
    .await;
    let p = api
        .get("/v1/services/billing/environments/production/drift", &reader)
        .await
        .problem(409);
    assert_eq!(p["type"], "https://schemareg.dev/problems/unusable-binding");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("SCHEMAREG_DB_TEST_UNSET_VARIABLE"),
        "{p}"
    );
    // A plan against a database that does not answer fails and says why.
    let created = api
        .post_json("/v1/services/billing/environments/staging/plans", &deployer, json!({}))
        .await;
    let failed = settled(&api, created, &reader).await;
    assert_eq!(failed["state"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("does not answer"),
        "{failed}"
    );
    api.get_sql(&format!("/v1/plans/{}", failed["id"].as_str().unwrap()), &reader)
        .await
        .problem(409);

    api.assert_no_secret_shown();
}
