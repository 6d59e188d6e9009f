//! The operators' console in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, driven over WebDriver): an approver signs in, finds the LOG-158 staging
//! plan from the overview, reads its hazards and approves it; the requester's page has no
//! approve button and a POST without the CSRF token is refused; a reader sees no buttons; an
//! expired token ends the session. Each step leaves a screenshot in `target/ui-screenshots/`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use schemareg::auth::Role;
use serde_json::json;

use crate::common::*;
use crate::served::{SECRET, Served, call};

/// A chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    async fn start() -> Self {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver) is installed: .ci/run installs it");
        assert!(wait_for_port(port).await, "chromedriver did not start");
        Self { child, port }
    }

    /// A headless browser 1440 px wide.
    async fn browser(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": "/usr/bin/chromium", "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,1000"]}),
        );
        // Two TLS back ends are linked into the tests: say which (WebDriver runs on loopback
        // anyway).
        let _ = rustls::crypto::ring::default_provider().install_default();
        ClientBuilder::rustls()
            .expect("a TLS configuration")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a browser session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Saves the page as `target/ui-screenshots/{name}.png`.
async fn screenshot(browser: &Client, name: &str) {
    let dir = repo().join("target/ui-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = browser.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// A token for the served registry, valid for `secs`.
fn token(subject: &str, roles: &[Role], secs: u64) -> String {
    let config = schemareg::config::Config {
        jwt_hs256_secret: Some(SECRET.into()),
        ..Default::default()
    };
    schemareg::auth::sign(&config, subject, roles, secs).unwrap()
}

async fn sign_in(browser: &Client, base: &str, token: &str) {
    browser.goto(&format!("{base}/ui")).await.unwrap();
    assert!(browser.current_url().await.unwrap().path().starts_with("/ui/sign-in"));
    browser
        .find(Locator::Css("textarea#token"))
        .await
        .unwrap()
        .send_keys(token)
        .await
        .unwrap();
    browser
        .find(Locator::Css("main button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(browser, "//header//form[@action='/ui/sign-out']").await;
}

/// Waits for an element (the page a click leads to has loaded).
async fn wait_for(browser: &Client, xpath: &str) {
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(xpath))
        .await
        .unwrap_or_else(|e| panic!("no {xpath}: {e}"));
}

/// axe-core (pinned, from npm), its script.
fn axe_script() -> String {
    let project = crate::clients::tools::npm_project(
        "axe",
        r#"{"name": "schemareg-axe", "private": true, "dependencies": {"axe-core": "4.14.1"}}"#,
    );
    std::fs::read_to_string(project.join("node_modules/axe-core/axe.min.js")).unwrap()
}

/// Checks the page as it is now with axe-core in the browser (no serious or critical
/// violation), and that at 390 px and at 1440 px the page itself does not scroll sideways
/// (tables may, inside their own box). The page is named in the messages.
async fn check_page(browser: &Client, axe: &str, name: &str) {
    browser.execute(axe, vec![]).await.unwrap();
    let violations = browser
        .execute_async(
            "const done = arguments[0]; axe.run(document, {resultTypes: ['violations']}).then(r => done(\
             r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
             .map(v => v.id + ': ' + v.help + ' (' + v.nodes.map(n => n.target.join(' ')).join(', ') + ')')))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(violations, json!([]), "{name}: accessibility violations");
    for width in [390, 1440] {
        browser.set_window_size(width, 900).await.unwrap();
        let sideways = browser
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            sideways.as_i64().unwrap_or(1) <= 0,
            "{name} scrolls sideways by {sideways} px at {width} px"
        );
        screenshot(browser, &format!("{name}-{width}")).await;
    }
    browser.set_window_size(1440, 1000).await.unwrap();
}

async fn text(browser: &Client) -> String {
    browser.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
}

async fn buttons(browser: &Client) -> Vec<String> {
    let mut names = Vec::new();
    for b in browser.find_all(Locator::Css("main button")).await.unwrap() {
        names.push(b.text().await.unwrap());
    }
    names
}

/// LOG-158 pushed by `ci`, verified in dev, and planned for staging by `ci`: the plan's id.
async fn log158_waiting_in_staging(base: &str, ci: &str) -> (String, Vec<schemareg_adapters::testing::TestDb>) {
    let as_ci = |method: &str, path: &str, body: Option<serde_json::Value>| {
        crate::served::call_as(ci, base, method, path, body.as_ref())
    };
    let (status, _) = call(
        base,
        "POST",
        "/v1/services",
        Some(&json!({"name": "log158", "scope": {"presets": ["supabase"]}})),
    );
    assert_eq!(status, 201);
    let live = read(&live_before());
    let dbs = vec![loaded(&live).await, loaded(&live).await];
    for (env, db) in ["dev", "staging"].iter().zip(&dbs) {
        let path = format!("/v1/services/log158/environments/{env}");
        let body = json!({"database_url": db.url(), "scope": {"presets": ["supabase"]}});
        assert_eq!(call(base, "PUT", &path, Some(&body)).0, 201);
    }
    let models = read(&fixture("log158_models.sql"));
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
        .args([
            "-H",
            &format!("Authorization: Bearer {ci}"),
            "-H",
            "Content-Type: application/sql",
        ])
        .args(["--data-binary", &models])
        .arg(format!("{base}/v1/services/log158/versions"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "201");
    let settle = |id: String| async move {
        for _ in 0..600 {
            let (_, p) = call(base, "GET", &format!("/v1/plans/{id}"), None);
            if !matches!(p["state"].as_str(), Some("computing" | "applying")) {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("plan {id} did not settle");
    };
    let (_, dev) = as_ci("POST", "/v1/services/log158/environments/dev/plans", Some(json!({})));
    let dev = dev["id"].as_str().unwrap().to_string();
    assert_eq!(settle(dev.clone()).await["state"], "approved");
    as_ci("POST", &format!("/v1/plans/{dev}/apply"), None);
    assert_eq!(settle(dev).await["state"], "verified");
    let (_, staging) = as_ci(
        "POST",
        "/v1/services/log158/environments/staging/plans",
        Some(json!({})),
    );
    let staging = staging["id"].as_str().unwrap().to_string();
    assert_eq!(settle(staging.clone()).await["state"], "pending_approval");
    (staging, dbs)
}

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
                 .then(r => done(r.status))"
            ),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(forged, json!(403), "a POST without the CSRF token is refused");
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
    browser
        .find(Locator::Css(&format!("a[href='/ui/plans/{plan}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
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
    browser
        .find(Locator::Css("button[value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
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
    browser
        .find(Locator::Css("a[href='/ui/services/log158/versions/1']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, "//h1[. = 'log158 version 1']").await;
    let page = text(&browser).await;
    assert!(page.contains("CREATE TABLE") && page.contains("ci at "), "{page}");
    check_page(&browser, &axe, "version").await;
    browser.close().await.unwrap();

    // A token that expires ends the session.
    let browser = driver.browser().await;
    sign_in(&browser, &base, &token("bob", &[Role::Approver], 2)).await;
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
