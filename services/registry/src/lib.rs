//! The schemareg service and command line.
//!
//! `schemareg snapshot` reads a schema from a live database, a SQL file or a snapshot JSON
//! and prints its snapshot or digest; `schemareg diff` plans; `schemareg serve` runs the HTTP
//! service (`app::app`).

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
pub mod ui;
pub mod webhooks;
