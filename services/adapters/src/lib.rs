//! schemareg's adapters: everything that talks to PostgreSQL or the file system.
//!
//! - [`pg`]: connections to a database from a URL (TLS per `sslmode`), URLs redacted for
//!   messages;
//! - [`introspect`]: a live database read into a [`schemareg_engine::Snapshot`] with one
//!   set-based catalog query per object kind;
//! - [`scratch`]: a server where throw-away databases are made (given, or a private cluster
//!   started from the installed PostgreSQL binaries);
//! - [`ingest`]: SQL DDL run in a scratch database and introspected;
//! - [`execute`]: a plan's steps run on a database, grouped in transactions;
//! - [`verify`]: a plan checked in a scratch database, forward and back;
//! - [`compare`]: two schemas made comparable, compared and planned (the one way to a plan).

pub mod compare;
pub mod data_checks;
pub mod execute;
pub mod files;
pub mod ident;
pub mod ingest;
pub mod introspect;
pub mod pg;
pub mod scratch;
pub mod store;
pub mod verify;

#[cfg(any(test, feature = "test-support"))]
pub mod testing;

/// A random lower-case hex string of `bytes * 2` characters, for unique object names.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system provides randomness");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
