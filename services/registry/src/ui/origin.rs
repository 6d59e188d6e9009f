//! Console forms are sent from the console's own pages: a POST whose `Origin` (or, without
//! one, `Referer`) is another site's is refused before anything reads it. The registry's
//! origin is `public_url`'s, or the one the browser reached it at (`Host`). A POST with
//! neither header (not a browser) is left to the forms' CSRF tokens.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Request, header};
use axum::middleware::Next;
use axum::response::Response;

use super::layout;
use crate::error::ApiError;
use crate::state::AppState;

pub async fn same_origin(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    match elsewhere(request.headers(), &state.config.public_url()) {
        None => next.run(request).await,
        Some(seen) => layout::problem(
            None,
            &ApiError::Forbidden(format!(
                "this form was sent from {}, not from this registry's pages: open the console at its own address",
                crate::text::echo(&seen)
            )),
        ),
    }
}

/// The origin a POST came from, when it is not the registry's.
fn elsewhere(headers: &HeaderMap, public_url: &str) -> Option<String> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let seen = match (text(header::ORIGIN), text(header::REFERER)) {
        (Some(origin), _) => origin.to_string(),
        (None, Some(referer)) => origin_of(referer)?,
        (None, None) => return None,
    };
    let host = text(header::HOST).unwrap_or("");
    let ours = [
        origin_of(public_url).unwrap_or_default(),
        format!("http://{host}"),
        format!("https://{host}"),
    ];
    let matches =
        !host.is_empty() && ours.iter().any(|o| o.eq_ignore_ascii_case(&seen)) || ours[0].eq_ignore_ascii_case(&seen);
    (!matches).then_some(seen)
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    Some(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_the_registrys_own_pages_post_forms() {
        let public = "https://schemareg.example.com";
        for same in [
            headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")]),
            headers(&[("host", "internal:8080"), ("origin", "https://schemareg.example.com")]),
            headers(&[
                ("host", "127.0.0.1:8080"),
                ("referer", "http://127.0.0.1:8080/ui/plans/p"),
            ]),
            headers(&[("host", "127.0.0.1:8080")]),
        ] {
            assert_eq!(elsewhere(&same, public), None, "{same:?}");
        }
        for other in [
            headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:9999")]),
            headers(&[("host", "127.0.0.1:8080"), ("origin", "null")]),
            headers(&[("host", "127.0.0.1:8080"), ("referer", "https://evil.example/x")]),
            headers(&[("origin", "http://")]),
        ] {
            assert!(elsewhere(&other, public).is_some(), "{other:?}");
        }
    }
}
