//! Reads of immutable versions: a strong ETag (the digest), 304 when the client holds it,
//! cacheable for good by number or digest and revalidated for `latest`; large bodies
//! compressed when the client asks.

use axum::http::{Method, StatusCode};

use crate::http::{Api, Backend};

/// A registry with service `shop` and its version 1 (20 tables): its digest.
async fn with_a_version(api: &Api) -> String {
    api.service("shop").await;
    let ddl: String = (0..20)
        .map(|i| format!("CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL);\n"))
        .collect();
    let pushed = api.push("shop", &api.admin(), "application/sql", ddl).await.json();
    pushed["digest"].as_str().unwrap().to_string()
}

on_both_stores!(versions_carry_etags_and_answer_304);

async fn versions_carry_etags_and_answer_304(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    let digest = with_a_version(&api).await;
    let etag = format!("\"{digest}\"");
    for path in ["/v1/services/shop/versions/1", "/v1/services/shop/versions/1/snapshot"] {
        let r = api.get(path, &admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.headers["etag"], etag.as_str());
        assert_eq!(r.headers["cache-control"], "private, max-age=31536000, immutable");
        for held in [etag.clone(), format!("W/{etag}"), format!("\"x\", {etag}")] {
            let again = api
                .request(Method::GET, path, Some(&admin), &[("if-none-match", held.as_str())], "")
                .await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path} {held}");
            assert!(again.text.is_empty());
        }
        let other = api
            .request(
                Method::GET,
                path,
                Some(&admin),
                &[("if-none-match", "\"sha256:other\"")],
                "",
            )
            .await;
        assert_eq!(other.status, StatusCode::OK);
    }
    let latest = api.get("/v1/services/shop/versions/latest", &admin).await;
    assert_eq!(latest.headers["cache-control"], "private, no-cache");
    let by_digest = api.get(&format!("/v1/services/shop/versions/{digest}"), &admin).await;
    assert_eq!(by_digest.json()["number"], 1);
    let sql = api.get_sql("/v1/services/shop/versions/1/snapshot", &admin).await;
    assert_eq!(sql.headers["etag"], format!("\"{digest}-sql\"").as_str());
    assert!(sql.text.contains("CREATE TABLE"), "{}", sql.text);
    // A second version: `latest` moves, the first stays as it was.
    api.push("shop", &admin, "application/sql", "CREATE TABLE solo (id int);")
        .await;
    assert_eq!(
        api.get("/v1/services/shop/versions/latest", &admin).await.json()["number"],
        2
    );
    assert_eq!(
        api.get("/v1/services/shop/versions/1", &admin).await.json()["digest"],
        digest
    );
    // Unknown versions and services are still 404.
    api.get("/v1/services/shop/versions/9", &admin).await.problem(404);
    api.get("/v1/services/none/versions/1", &admin).await.problem(404);
}

on_both_stores!(large_bodies_are_compressed_when_asked);

async fn large_bodies_are_compressed_when_asked(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    with_a_version(&api).await;
    let path = "/v1/services/shop/versions/1/snapshot";
    let plain = api.get(path, &admin).await;
    assert!(plain.headers.get("content-encoding").is_none());
    assert!(plain.text.len() > 1024);
    for encoding in ["gzip", "br"] {
        let r = api
            .request(Method::GET, path, Some(&admin), &[("accept-encoding", encoding)], "")
            .await;
        assert_eq!(r.headers["content-encoding"], encoding);
    }
    let small = api
        .request(
            Method::GET,
            "/v1/services/shop",
            Some(&admin),
            &[("accept-encoding", "gzip")],
            "",
        )
        .await;
    assert!(
        small.headers.get("content-encoding").is_none(),
        "small bodies go as they are"
    );
}
