//! The pure engine of schemareg.
//!
//! It holds the schema model (the snapshot), its canonical form and digest, scope filters,
//! the diff of two snapshots, migration plans with hazards, and SQL rendering. It performs no I/O: callers hand it models and get models back.

pub mod canonical;
pub mod diff;
pub mod model;
pub mod parse;
pub mod plan;
pub mod render;
pub mod scope;

pub use canonical::digest;
pub use model::*;
pub use parse::{ParseError, from_json};
pub use scope::{Preset, Scope, ScopeError};
