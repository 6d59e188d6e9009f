//! The browser side of the console tests: a chromedriver, headless Chromium sessions, signing
//! in, waiting, reading, full-page screenshots and the accessibility and width checks.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use schemareg::auth::Role;
use serde_json::json;

use crate::common::*;
use crate::served::SECRET;

/// A chromedriver on a free port, stopped when dropped.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    pub(crate) async fn start() -> Self {
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
    pub(crate) async fn browser(&self) -> Client {
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

/// Saves the whole page (not only what the window shows) as `target/ui-screenshots/{name}.png`:
/// the window is made as tall as the page for the picture, then given its height back.
pub(crate) async fn screenshot(browser: &Client, name: &str) {
    let dir = repo().join("target/ui-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let (width, height) = browser.get_window_size().await.unwrap();
    let inner = browser
        .execute(
            "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]",
            vec![],
        )
        .await
        .unwrap();
    let page = inner[0].as_u64().unwrap_or(height);
    let chrome = inner[1].as_u64().unwrap_or(0);
    let tall = (page + chrome).clamp(height, 20_000);
    browser.set_window_size(width as u32, tall as u32).await.unwrap();
    let png = browser.screenshot().await.unwrap();
    browser.set_window_size(width as u32, height as u32).await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Clicks the element `css` names.
pub(crate) async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// A token for the served registry, valid for `secs`.
pub(crate) fn token(subject: &str, roles: &[Role], secs: u64) -> String {
    let config = schemareg::config::Config {
        jwt_hs256_secret: Some(SECRET.into()),
        ..Default::default()
    };
    schemareg::auth::sign(&config, subject, roles, secs).unwrap()
}

pub(crate) async fn sign_in(browser: &Client, base: &str, token: &str) {
    browser.goto(&format!("{base}/ui")).await.unwrap();
    assert!(browser.current_url().await.unwrap().path().starts_with("/ui/sign-in"));
    // Pasted, as a person does (typing 300 characters one by one is slow on a busy machine,
    // and a short-lived token could expire meanwhile).
    browser
        .execute(
            "document.querySelector('textarea#token').value = arguments[0]",
            vec![json!(token)],
        )
        .await
        .unwrap();
    click(browser, "main button[type=submit]").await;
    wait_for(browser, "//header//form[@action='/ui/sign-out']").await;
}

/// Waits for an element (the page a click leads to has loaded).
pub(crate) async fn wait_for(browser: &Client, xpath: &str) {
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(xpath))
        .await
        .unwrap_or_else(|e| panic!("no {xpath}: {e}"));
}

/// axe-core (pinned, from npm), its script.
pub(crate) fn axe_script() -> String {
    let project = crate::clients::tools::npm_project(
        "axe",
        r#"{"name": "schemareg-axe", "private": true, "dependencies": {"axe-core": "4.14.1"}}"#,
    );
    std::fs::read_to_string(project.join("node_modules/axe-core/axe.min.js")).unwrap()
}

/// Checks the page as it is now with axe-core in the browser (no serious or critical
/// violation), and that at 390 px and at 1440 px the page itself does not scroll sideways
/// (tables may, inside their own box). The page is named in the messages.
pub(crate) async fn check_page(browser: &Client, axe: &str, name: &str) {
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

pub(crate) async fn text(browser: &Client) -> String {
    browser.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
}

pub(crate) async fn buttons(browser: &Client) -> Vec<String> {
    let mut names = Vec::new();
    for b in browser.find_all(Locator::Css("main button")).await.unwrap() {
        names.push(b.text().await.unwrap());
    }
    names
}
