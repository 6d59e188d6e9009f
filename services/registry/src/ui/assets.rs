//! The console's stylesheet and script, compiled into the binary and served from `/ui/assets/`
//! (nothing from the internet), and the headers every console answer carries.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");

pub const CSS_PATH: &str = "/ui/assets/console.css";
pub const JS_PATH: &str = "/ui/assets/console.js";

/// Pages may use what the registry serves and nothing else; no other site may frame them.
const POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
                      connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn asset(media_type: &'static str, text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, media_type),
            // Short: a new binary's assets are seen within minutes without a versioned name.
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        text,
    )
        .into_response()
}

pub async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

pub async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

/// Adds the console's security headers to an answer.
pub async fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        // Pages show what a signed-in person may see: not kept by shared caches.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    response
}
