//! The HTTP layer: what turns requests into calls of the registry and its answers back into
//! HTTP. Extractors (the caller, where it came from, bodies read after the role check), the
//! middleware every request passes (authentication, audit of denials, `Idempotency-Key`,
//! metrics, problem documents), the mapping of errors to problem documents, the OpenAPI
//! document's conventions, the docs' headers, and the server that accepts connections. The resources themselves
//! are in `crate::routes`.

pub mod docs;
pub mod extract;
pub mod middleware;
pub mod openapi;
pub mod paging;
pub mod problem;
pub mod server;
