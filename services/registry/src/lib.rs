//! The schemareg service and command line.
//!
//! `schemareg snapshot` reads a schema from a live database, a SQL file or a snapshot JSON
//! and prints its snapshot or digest; `schemareg diff` plans; `schemareg serve` runs the HTTP
//! service (`app::app`).

// Output goes through `cli::out` (a closed stdout is an error, not a panic) and `say!`.
#![deny(clippy::print_stdout, clippy::print_stderr)]

/// A line for the person running schemareg, on stderr. Written and forgotten: when stderr is
/// a pipe whose reader went away (a log shipper restarted, `| head`), `eprintln!` panics, and
/// a registry would stop at its next message.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod allocator;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod client;
pub mod config;
pub mod error;
pub mod http;
pub mod metrics;
pub mod policy;
pub mod registry;
pub mod routes;
pub mod secrets;
pub mod source;
pub mod state;
pub mod text;
pub mod ui;
pub mod webhooks;
