//! The registry's end-to-end tests, in one binary: each module was a test binary of its own
//! (they all linked the whole stack). Shared: `common` (paths, fixtures, psql, pg_dump),
//! `http` (the application driven through its router, every answer checked against the
//! OpenAPI document), `served` (the real binary on a socket).

mod common;
#[macro_use]
mod http;
mod served;
#[path = "../support/serve.rs"]
mod support;

mod api;
mod applies;
mod audit;
mod budget;
mod ci_files;
mod cli;
mod cli_diff;
mod cli_private;
mod client;
mod client_retries;
mod clients;
mod console;
mod deploy;
mod documented_errors;
mod documented_names;
mod drift_watch;
mod hostile;
mod house;
mod idempotency;
mod killed_apply;
mod log158_api;
mod log158_promotion;
mod policies;
mod promotion;
mod quickstart;
mod reads;
mod recipes;
mod replicas;
mod scoped_tokens;
mod script_shapes;
mod serve;
mod slow_pushes;
mod stopping;
mod store_backup;
mod templates;
mod tokens;
mod unavailable;
mod webhooks;
