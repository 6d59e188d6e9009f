//! Versions over HTTP: pushed as SQL or snapshot JSON (the same schema again is the same
//! version), read by number, `latest` or digest, diffed and listed; concurrent pushes.

use crate::http::{Api, Backend};
use axum::http::{Method, StatusCode};
use schemareg::auth::Role;
use serde_json::{Value, json};

use super::{USERS_SQL, refused};

on_both_stores!(versions, concurrent_pushes);

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
