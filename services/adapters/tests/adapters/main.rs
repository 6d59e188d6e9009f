//! The adapters' tests against a real PostgreSQL, in one binary: the store on both backends,
//! introspection (completeness, round trips, set-based reads, the record of dependencies), equivalence of schemas written
//! differently, verification in scratch databases, and the LOG-158 scenario end to end.

mod completeness;
mod data_checks;
mod definitions;
mod dependencies;
mod equivalence;
mod log158;
mod ready;
mod round_trip;
mod scratch;
mod set_based;
mod store;
mod verify;
