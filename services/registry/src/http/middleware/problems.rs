//! Problem documents everywhere: error answers of layers and extractors become problem
//! documents, and every problem names the request path.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::http::problem::{MAX_DETAIL, Problem, problem_response, slug_of};
use crate::text::clip;

/// The largest error body of a layer or extractor read to turn it into a problem's detail.
const MAX_ERROR_BODY: usize = 16 * 1024;

/// Turns the error answers of layers and extractors that are not problem documents (body too
/// large, timeouts, rejected paths or queries) into problem documents, and names the request
/// path in every problem. HTML answers (the console's error pages) are left as they are.
pub async fn problems_everywhere(request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // The console's own error pages (HTML with the problem's title and detail) stay pages.
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        return response;
    }
    if let Some(mut problem) = response.extensions_mut().remove::<Problem>() {
        if problem.instance.is_some() {
            return response;
        }
        problem.instance = Some(clip(&path, MAX_DETAIL));
        let (parts, _) = response.into_parts();
        return with_headers(problem_response(problem), &parts.headers);
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_ERROR_BODY).await.unwrap_or_default();
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            "the request body is larger than this registry accepts (body_limit)".to_string()
        }
        StatusCode::SERVICE_UNAVAILABLE if text.is_empty() => {
            "the request took longer than this registry allows (request_timeout_secs)".to_string()
        }
        StatusCode::METHOD_NOT_ALLOWED if text.is_empty() => {
            "this resource does not answer to that method (see the Allow header)".to_string()
        }
        _ if text.is_empty() => status.canonical_reason().unwrap_or("error").to_string(),
        _ => String::from_utf8_lossy(&text).trim().to_string(),
    };
    let out = problem_response(Problem::new(status, &slug_of(status), &detail, Some(path), Vec::new()));
    with_headers(out, &parts.headers)
}

/// The response with the original answer's headers (request id, `WWW-Authenticate`, …), but
/// its own content type and length.
fn with_headers(mut out: Response, original: &axum::http::HeaderMap) -> Response {
    for (name, value) in original {
        if !out.headers().contains_key(name) && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name, value.clone());
        }
    }
    out
}
