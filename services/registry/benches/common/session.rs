//! A console session, signed in as a browser is: the sign-in page first (its pre-session
//! cookie and the form's token), then the form.

/// The `schemareg_session=…` cookie for a token.
pub async fn console_session(http: &reqwest::Client, base: &str, token: &str) -> String {
    let page = http.get(format!("{base}/ui/sign-in")).send().await.unwrap();
    let presession = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a pre-session cookie")
        .to_string();
    let html = page.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's token")
        .to_string();
    let signed_in = http
        .post(format!("{base}/ui/sign-in"))
        .header("cookie", presession)
        .form(&[("token", token.to_string()), ("csrf", csrf)])
        .send()
        .await
        .unwrap();
    signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|c| c.starts_with("schemareg_session="))
        .expect("a session cookie")
        .to_string()
}
