//! The interactive API docs at `/docs` (Swagger UI, its assets served by the registry): its
//! answers allow only the registry's own scripts and styles (Swagger UI sets inline styles
//! and data-URI images, nothing else), and no other site may frame them.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// The docs' Content-Security-Policy.
pub const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                          img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
                          frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub async fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}
