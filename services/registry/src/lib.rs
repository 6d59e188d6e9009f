//! The schemareg service and command line.
//!
//! `schemareg snapshot` reads a schema from a live database, a SQL file or a snapshot JSON
//! and prints its snapshot or digest. The HTTP service (`serve`) comes later.

pub mod cli;
pub mod source;
