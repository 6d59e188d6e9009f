//! Signing in cannot be done for someone else (issue 31, item 4): a page on another origin
//! that posts a form to `/ui/sign-in` used to sign the victim's browser in as the attacker
//! (login CSRF). The sign-in form carries a token bound to a pre-session cookie, every console
//! POST must come from the registry's origin, and signing in again ends the old session.

use std::time::Duration;

use fantoccini::cookies::Cookie;
use schemareg::auth::Role;

use super::browser::*;
use crate::served::Served;

/// A page on another origin (another port of loopback) whose form posts itself to `action`
/// with `fields`, as soon as it is opened; stopped when dropped.
struct Elsewhere {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Elsewhere {
    async fn posting(action: &str, fields: &[(&str, &str)]) -> Self {
        let inputs: String = fields
            .iter()
            .map(|(name, value)| format!("<input type=hidden name=\"{name}\" value=\"{value}\">"))
            .collect();
        let html = format!(
            "<!doctype html><html><head><title>win a prize</title></head><body><form id=f method=post \
             action=\"{action}\">{inputs}</form><script>document.getElementById('f').submit()</script></body></html>"
        );
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{html}",
            html.len()
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(answer.as_bytes()).await;
            }
        });
        Self { port, task }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/prize", self.port)
    }
}

impl Drop for Elsewhere {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Waits until the browser has left `url` (the other page's form was sent and answered).
async fn left(browser: &fantoccini::Client, url: &str) {
    for _ in 0..100 {
        if browser.current_url().await.unwrap().as_str() != url {
            tokio::time::sleep(Duration::from_millis(200)).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page at {url} did not send its form");
}

async fn session_cookie(browser: &fantoccini::Client) -> Option<Cookie<'static>> {
    browser
        .get_all_cookies()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name() == "schemareg_session")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_elsewhere_cannot_sign_a_browser_in_or_act_for_it() {
    let served = Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    let base = served.base();
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    let mallory = token("mallory", &[Role::Admin], 3600);
    let sign_in_there = Elsewhere::posting(&format!("{base}/ui/sign-in"), &[("token", &mallory)]).await;

    // Never on the registry before, and after the sign-in page was opened (its pre-session
    // cookie goes along): the other page's form is refused, nobody is signed in.
    for opened_first in [false, true] {
        if opened_first {
            browser.goto(&format!("{base}/ui/sign-in")).await.unwrap();
        }
        browser.goto(&sign_in_there.url()).await.unwrap();
        left(&browser, &sign_in_there.url()).await;
        assert!(
            text(&browser).await.contains("not from this registry"),
            "{}",
            text(&browser).await
        );
        assert!(session_cookie(&browser).await.is_none(), "a session was made");
        browser.goto(&format!("{base}/ui")).await.unwrap();
        assert!(
            browser.current_url().await.unwrap().path().starts_with("/ui/sign-in"),
            "signed in by another page (opened the sign-in page first: {opened_first})"
        );
        assert!(!text(&browser).await.contains("mallory"));
    }

    // Signed in from the registry's own page: a form elsewhere cannot sign the browser out.
    sign_in(&browser, &base, &token("alice", &[Role::Approver], 3600)).await;
    let first = session_cookie(&browser).await.expect("a session");
    let sign_out_there = Elsewhere::posting(&format!("{base}/ui/sign-out"), &[("csrf", "guessed")]).await;
    browser.goto(&sign_out_there.url()).await.unwrap();
    left(&browser, &sign_out_there.url()).await;
    assert!(
        text(&browser).await.contains("not from this registry"),
        "{}",
        text(&browser).await
    );
    browser.goto(&format!("{base}/ui")).await.unwrap();
    assert!(text(&browser).await.contains("Signed in as alice"));

    // Signing in again (as bob) ends alice's session on the server, not only in this browser.
    browser.goto(&format!("{base}/ui/sign-in")).await.unwrap();
    browser
        .execute(
            "document.querySelector('textarea#token').value = arguments[0]",
            vec![serde_json::json!(token("bob", &[Role::Reader], 3600))],
        )
        .await
        .unwrap();
    click(&browser, "main button[type=submit]").await;
    wait_for(&browser, "//header//form[@action='/ui/sign-out']").await;
    assert!(text(&browser).await.contains("Signed in as bob"));
    let with_alices = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}/ui"))
        .header("cookie", format!("schemareg_session={}", first.value()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        with_alices.status().as_u16(),
        303,
        "alice's session still opens the console"
    );
    assert!(
        with_alices.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/ui/sign-in"),
        "{:?}",
        with_alices.headers()
    );
    browser.close().await.unwrap();
}
