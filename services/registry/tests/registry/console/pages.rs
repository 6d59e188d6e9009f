//! The console's other pages in a real headless Chromium: a rejection without a reason is
//! refused with the problem shown in the page; a deployer applies the approved LOG-158
//! staging plan and watches it go from applying to verified without a reload; the diff between
//! two versions; an admin reads the audit log with filters and pages through it, which no one
//! else may.

use schemareg::auth::Role;
use serde_json::json;

use super::browser::*;
use super::setup::{log158_waiting_in_staging, wait_for_state};
use crate::common::*;
use crate::served::{Served, call, call_as, call_raw};

#[tokio::test(flavor = "multi_thread")]
async fn an_apply_is_followed_without_a_reload_and_versions_and_the_audit_log_are_read() {
    let served = Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    let base = served.base();
    let ci = token("ci", &[Role::Publisher, Role::Deployer], 3600);
    let (plan, dbs) = log158_waiting_in_staging(&base, &ci).await;
    let driver = Driver::start().await;
    let axe = axe_script();

    // An approver who rejects without a reason: refused, the problem's title and detail shown.
    let browser = driver.browser().await;
    sign_in(&browser, &base, &token("bob", &[Role::Approver], 3600)).await;
    browser.goto(&format!("{base}/ui/plans/{plan}")).await.unwrap();
    click(&browser, "button[value=reject]").await;
    wait_for(&browser, "//section[@role='alert']").await;
    let page = text(&browser).await;
    assert!(page.contains("a rejection needs a reason"), "{page}");
    assert!(!page.contains("postgres://"), "{page}");
    screenshot(&browser, "reject-without-reason").await;
    // Then approved, with a comment.
    browser.goto(&format!("{base}/ui/plans/{plan}")).await.unwrap();
    click(&browser, "button[value=approve]").await;
    wait_for(&browser, "//dd[contains(., 'approved')]").await;
    browser.close().await.unwrap();

    // The deployer applies while another session reads a table the plan alters (its lock lets
    // the registry read the catalog, not alter the table): the page says applying; once the
    // reader's transaction ends (within the plan's 10 s lock_timeout), it shows verified by
    // itself, without a reload (a mark set on the page's window survives).
    let holder = tokio_postgres_connect(&dbs[1].url()).await;
    holder
        .batch_execute("BEGIN; LOCK TABLE public.documents IN ACCESS SHARE MODE")
        .await
        .unwrap();
    let browser = driver.browser().await;
    sign_in(&browser, &base, &ci).await;
    browser.goto(&format!("{base}/ui/plans/{plan}")).await.unwrap();
    click(&browser, "main form[action$='/apply'] button").await;
    wait_for(&browser, "//p[@role='status']").await;
    assert!(text(&browser).await.contains("applying"));
    browser.execute("window.notReloaded = true", vec![]).await.unwrap();
    screenshot(&browser, "plan-applying").await;
    holder.batch_execute("ROLLBACK").await.unwrap();
    wait_for(&browser, "//dd[contains(., 'verified')]").await;
    let mark = browser
        .execute("return window.notReloaded === true", vec![])
        .await
        .unwrap();
    assert_eq!(mark, json!(true), "the page followed the apply without a reload");
    screenshot(&browser, "plan-verified").await;
    browser.close().await.unwrap();

    // Version 2 adds a table: the diff between 1 and 2 is its steps, as on a plan page.
    let models = read(&fixture("log158_models.sql"));
    let v2 = format!("{models}\nCREATE TABLE public.notes (id bigint PRIMARY KEY, body text NOT NULL);\n");
    let (status, _) = call_raw(&base, "POST", "/v1/services/log158/versions", "application/sql", &v2);
    assert_eq!(status, 201);
    let browser = driver.browser().await;
    sign_in(&browser, &base, &token("rita", &[Role::Reader], 3600)).await;
    browser
        .goto(&format!("{base}/ui/services/log158/versions/2"))
        .await
        .unwrap();
    click(&browser, "a[href='/ui/services/log158/diff?from=1&to=2']").await;
    wait_for(&browser, "//h1[. = 'log158: version 1 to version 2']").await;
    let page = text(&browser).await;
    assert!(
        page.contains(r#"CREATE TABLE "public"."notes""#) && page.contains("Lock: "),
        "{page}"
    );
    check_page(&browser, &axe, "diff").await;
    // A reader has no audit log: the link is not shown, the page refuses.
    assert!(
        browser
            .find(fantoccini::Locator::Css("a[href='/ui/audit']"))
            .await
            .is_err()
    );
    browser.goto(&format!("{base}/ui/audit")).await.unwrap();
    assert!(text(&browser).await.contains("Forbidden"));
    browser.close().await.unwrap();

    // A plan to version 2 approved, then the database changed by hand: applying finds it
    // stale, the page says so and plans again from the database as it is.
    // (Version 2 verified in dev first: the promotion gate.)
    let (_, dev) = call_as(
        &ci,
        &base,
        "POST",
        "/v1/services/log158/environments/dev/plans",
        Some(&json!({})),
    );
    let dev = dev["id"].as_str().unwrap().to_string();
    wait_for_state(&base, &dev, "approved").await;
    call_as(&ci, &base, "POST", &format!("/v1/plans/{dev}/apply"), None);
    wait_for_state(&base, &dev, "verified").await;
    let (_, next) = call_as(
        &ci,
        &base,
        "POST",
        "/v1/services/log158/environments/staging/plans",
        Some(&json!({})),
    );
    let next = next["id"].as_str().unwrap().to_string();
    let pending = wait_for_state(&base, &next, "pending_approval").await;
    assert_eq!(pending["to_version"], 2);
    let alice = token("alice", &[Role::Approver], 3600);
    let (status, _) = call_as(
        &alice,
        &base,
        "POST",
        &format!("/v1/plans/{next}/approvals"),
        Some(&json!({})),
    );
    assert_eq!(status, 201);
    holder
        .batch_execute("ALTER TABLE public.users ADD COLUMN nickname text")
        .await
        .unwrap();
    let browser = driver.browser().await;
    sign_in(&browser, &base, &ci).await;
    browser.goto(&format!("{base}/ui/plans/{next}")).await.unwrap();
    click(&browser, "main form[action$='/apply'] button").await;
    wait_for(&browser, "//h2[. = 'This plan is stale']").await;
    screenshot(&browser, "plan-stale").await;
    click(&browser, "main form[action$='/plan-again'] button").await;
    wait_for(&browser, "//h1[starts-with(., 'Plan ')]").await;
    let again = browser
        .current_url()
        .await
        .unwrap()
        .path()
        .trim_start_matches("/ui/plans/")
        .to_string();
    assert_ne!(again, next, "a new plan");
    let planned = wait_for_state(&base, &again, "pending_approval").await;
    assert_eq!(planned["requested_by"], "ci");
    assert!(
        planned["sql"].as_str().unwrap_or_default().contains("nickname"),
        "planned from the database as it is now: {planned}"
    );
    browser.close().await.unwrap();

    // An admin: the log, filtered by action, a page at a time.
    let browser = driver.browser().await;
    sign_in(&browser, &base, &token("ada", &[Role::Admin], 3600)).await;
    click(&browser, "a[href='/ui/audit']").await;
    wait_for(&browser, "//h1[. = 'Audit log']").await;
    let rows = table_text(&browser).await;
    assert!(
        rows.contains("service.create") && rows.contains("version.push"),
        "{rows}"
    );
    assert!(
        browser.find(fantoccini::Locator::Css("a[rel=next]")).await.is_ok(),
        "more than a page"
    );
    check_page(&browser, &axe, "audit").await;
    browser
        .goto(&format!("{base}/ui/audit?action=plan.approve&limit=1"))
        .await
        .unwrap();
    let first = table_text(&browser).await;
    assert!(first.contains("bob") && !first.contains("version.push"), "{first}");
    click(&browser, "a[rel=next]").await;
    wait_for(&browser, "//p[contains(., 'No entry matches')] | //a[@rel='next']").await;
    let rows = browser
        .find_all(fantoccini::Locator::Css("tbody tr"))
        .await
        .unwrap()
        .len();
    assert!(rows <= 1, "pages of one entry");
    assert!(
        !table_text(&browser).await.contains("version.push"),
        "the next page keeps the filter"
    );
    screenshot(&browser, "audit-filtered").await;
    browser.close().await.unwrap();
    let (status, _) = call(&base, "GET", &format!("/v1/plans/{plan}"), None);
    assert_eq!(status, 200);
}

async fn tokio_postgres_connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// The text of the page's table body (empty when there is none).
async fn table_text(browser: &fantoccini::Client) -> String {
    match browser.find(fantoccini::Locator::Css("tbody")).await {
        Ok(body) => body.text().await.unwrap(),
        Err(_) => String::new(),
    }
}

/// What the console's answers carry on the wire, from the real binary: pages allow only the
/// registry's own stylesheet and script (CSP), are not kept by shared caches, and the assets
/// they name are served, with their media types.
#[tokio::test(flavor = "multi_thread")]
async fn console_answers_carry_a_content_security_policy_and_serve_their_own_assets() {
    let served = Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let page = crate::served::raw(served.port, get("/ui/sign-in").as_bytes())
        .await
        .to_ascii_lowercase();
    for header in [
        "content-security-policy: default-src 'none'; style-src 'self'; script-src 'self';",
        "frame-ancestors 'none'",
        "x-content-type-options: nosniff",
        "cache-control: private, no-store",
        "<link rel=\"stylesheet\" href=\"/ui/assets/console.css\">",
        "<script src=\"/ui/assets/console.js\" defer>",
    ] {
        assert!(page.contains(header), "{header} missing from:\n{page}");
    }
    for (path, media_type) in [
        ("/ui/assets/console.css", "content-type: text/css"),
        ("/ui/assets/console.js", "content-type: text/javascript"),
    ] {
        let answer = crate::served::raw(served.port, get(path).as_bytes())
            .await
            .to_ascii_lowercase();
        assert!(
            answer.starts_with("http/1.1 200") && answer.contains(media_type),
            "{path}:\n{answer}"
        );
        assert!(
            answer.contains("cache-control: public, max-age=300"),
            "{path}:\n{answer}"
        );
    }
}
