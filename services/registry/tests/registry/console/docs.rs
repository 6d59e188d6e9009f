//! The API docs at `/docs` (issue 31, item 9): they carried no Content-Security-Policy and no
//! `frame-ancestors`, so any page could frame them. Their answers now allow only the
//! registry's own scripts and forbid framing, and Swagger UI still renders every operation
//! in Chromium under that policy.

use fantoccini::Locator;

use super::browser::*;
use crate::served::Served;

#[tokio::test(flavor = "multi_thread")]
async fn the_docs_render_under_a_policy_that_forbids_framing() {
    let served = Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    let base = served.base();
    for path in ["/docs/", "/docs/swagger-initializer.js"] {
        let answer = crate::served::raw(
            served.port,
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .to_ascii_lowercase();
        assert!(answer.starts_with("http/1.1 200"), "{path}: {answer}");
        for header in [
            "content-security-policy: default-src 'none'; script-src 'self';",
            "frame-ancestors 'none'",
            "x-frame-options: deny",
            "x-content-type-options: nosniff",
        ] {
            assert!(answer.contains(header), "{path}: {header} missing");
        }
    }
    // Swagger UI builds its page with its own scripts, under the policy: every operation of
    // the document is listed.
    let text = reqwest::get(format!("{base}/openapi.json"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let openapi: serde_json::Value = serde_json::from_str(&text).unwrap();
    let operations: usize = openapi["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    browser.goto(&format!("{base}/docs/")).await.unwrap();
    wait_for(&browser, "//*[contains(@class, 'opblock-summary')]").await;
    let shown = browser.find_all(Locator::Css(".opblock-summary")).await.unwrap().len();
    assert_eq!(shown, operations, "Swagger UI lists every operation");
    screenshot(&browser, "docs").await;
    browser.close().await.unwrap();
}
