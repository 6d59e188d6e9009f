//! The registry over HTTP, end to end (router → service → store and PostgreSQL), on both
//! stores: every resource's success path and its error classes, with the store shown unchanged
//! after each failing request. One module per resource; what they share is here.

use crate::http::Api;
use serde_json::Value;

mod environments;
mod plans;
mod services;
mod versions;

const USERS_SQL: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n";

/// Asserts that a request fails with a problem of `status` and leaves the store as it was.
async fn refused(api: &Api, status: u16, request: impl std::future::Future<Output = crate::http::Resp>) -> Value {
    let before = api.contents().await;
    let problem = request.await.problem(status);
    assert_eq!(api.contents().await, before, "a failed request changed the store");
    problem
}
