//! What clients of the OpenAPI document see, with the tools they use: a validator resolves it,
//! schemathesis fuzzes the real server with it (every phase, stateful included) and finds no
//! answer outside it, and a TypeScript client generated from it compiles in strict mode and
//! lists the overview and a plan's steps from the real server.
//!
//! The tools come from PyPI and npm at pinned versions into `target/tools/` (installed once,
//! kept between runs).

pub(crate) mod tools;

mod schemathesis;
mod spec;
mod typescript;
