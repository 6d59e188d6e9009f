//! Webhooks: subscriptions receive the registry's events (versions pushed, plans computed,
//! waiting, approved, applied, verified, failed, stale, drift found and resolved) as signed
//! CloudEvents, from the outbox the store writes with each state change.

pub mod envelope;
pub mod signature;
pub mod target;
mod worker;

pub use worker::spawn;
