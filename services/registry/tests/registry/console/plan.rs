//! The operators' console in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, driven over WebDriver): an approver signs in, finds the LOG-158 staging
//! plan from the overview, reads its hazards and approves it; the requester's page has no
//! approve button and a POST without the CSRF token is refused; a reader sees no buttons; an
//! expired token ends the session. Each step leaves a screenshot in `target/ui-screenshots/`.

use std::time::Duration;

use fantoccini::Locator;
use schemareg::auth::Role;
use serde_json::json;

use super::browser::*;
use super::setup::log158_waiting_in_staging;
use crate::served::Served;

#[tokio::test(flavor = "multi_thread")]
async fn an_approver_approves_the_log158_staging_plan_in_a_browser() {
    let served = Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    let base = served.base();
    let ci = token("ci", &[Role::Publisher, Role::Deployer], 3600);
    let (plan, _dbs) = log158_waiting_in_staging(&base, &ci).await;
    let driver = Driver::start().await;
    let axe = axe_script();

    // The requester: the plan without a working approve button; a POST without CSRF refused.
    let browser = driver.browser().await;
    sign_in(&browser, &base, &ci).await;
    browser.goto(&format!("{base}/ui/plans/{plan}")).await.unwrap();
    let page = text(&browser).await;
    assert!(page.contains("pending approval"), "{page}");
    assert!(
        !buttons(&browser).await.contains(&"Approve".to_string()),
        "{:?}",
        buttons(&browser).await
    );
    screenshot(&browser, "plan-as-requester").await;
    check_page(&browser, &axe, "plan-as-requester").await;
    let forged = browser
        .execute_async(
            &format!(
                "const done = arguments[0]; fetch('/ui/plans/{plan}/approve', {{method: 'POST', \
                 headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}, body: 'comment=forged'}})\
                 .then(r => r.text().then(t => done([r.status, t])))"
            ),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(forged[0], json!(403), "a POST without the CSRF token is refused");
    let page = forged[1].as_str().unwrap_or_default();
    assert!(
        page.starts_with("<!DOCTYPE html>") && page.contains("CSRF token is missing or wrong"),
        "the refusal is a page that says why: {page}"
    );
    browser.close().await.unwrap();

    // A reader: no buttons at all.
    let browser = driver.browser().await;
    sign_in(&browser, &base, &token("rita", &[Role::Reader], 3600)).await;
    browser.goto(&format!("{base}/ui/plans/{plan}")).await.unwrap();
    assert!(
        buttons(&browser).await.iter().all(|b| b == "Sign out"),
        "{:?}",
        buttons(&browser).await
    );
    screenshot(&browser, "plan-as-reader").await;
    browser.close().await.unwrap();

    // The approver: from the overview to the plan, its hazards read, approved.
    let browser = driver.browser().await;
    sign_in(&browser, &base, &token("alice", &[Role::Approver], 3600)).await;
    let overview = text(&browser).await;
    assert!(
        overview.contains("Signed in as alice") && overview.contains("approver"),
        "{overview}"
    );
    screenshot(&browser, "overview").await;
    check_page(&browser, &axe, "overview").await;
    click(&browser, &format!("a[href='/ui/plans/{plan}']")).await;
    wait_for(&browser, "//h1[starts-with(., 'Plan ')]").await;
    let page = text(&browser).await;
    assert!(page.contains(&format!("Plan {plan} for log158 in staging")), "{page}");
    assert!(page.contains("⚠ drops_object"), "the hazards are marked: {page}");
    assert!(page.contains("Lock: access exclusive"), "{page}");
    screenshot(&browser, "plan-as-approver").await;
    check_page(&browser, &axe, "plan-as-approver").await;
    browser
        .find(Locator::Css("textarea#comment"))
        .await
        .unwrap()
        .send_keys("read the drops")
        .await
        .unwrap();
    click(&browser, "button[value=approve]").await;
    wait_for(&browser, "//li[contains(., 'read the drops')]").await;
    let page = text(&browser).await;
    assert!(page.contains("✓ approved"), "{page}");
    assert!(
        page.contains("alice (approver)") && page.contains("read the drops"),
        "{page}"
    );
    screenshot(&browser, "plan-approved").await;
    // dev's drift as the watch last saw it, and the version it is compared with, as DDL.
    browser
        .goto(&format!("{base}/ui/services/log158/environments/dev/drift"))
        .await
        .unwrap();
    let page = text(&browser).await;
    assert!(
        page.contains("Drift of log158 in dev") && page.contains("in sync"),
        "{page}"
    );
    check_page(&browser, &axe, "drift").await;
    click(&browser, "a[href='/ui/services/log158/versions/1']").await;
    wait_for(&browser, "//h1[. = 'log158 version 1']").await;
    let page = text(&browser).await;
    assert!(page.contains("CREATE TABLE") && page.contains("ci at "), "{page}");
    check_page(&browser, &axe, "version").await;
    browser.close().await.unwrap();

    // A token that expires ends the session.
    let browser = driver.browser().await;
    sign_in(&browser, &base, &token("bob", &[Role::Approver], 5)).await;
    assert!(text(&browser).await.contains("Signed in as bob"));
    tokio::time::sleep(Duration::from_secs(8)).await;
    browser.goto(&format!("{base}/ui")).await.unwrap();
    assert!(browser.current_url().await.unwrap().path().starts_with("/ui/sign-in"));
    let page = text(&browser).await;
    assert!(
        page.contains("ends when its token expires") && !page.contains("Signed in as bob"),
        "{page}"
    );
    screenshot(&browser, "expired").await;
    check_page(&browser, &axe, "sign-in").await;
    browser.close().await.unwrap();
}
