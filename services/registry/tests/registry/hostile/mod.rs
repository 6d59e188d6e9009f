//! The registry as a hostile client finds it: each module holds the tests of one hole that was
//! open (issue 10), each failing before its fix.
//!
//! - `audit_flood`: a flood of denied requests takes a few entries of bounded size.
//! - `cluster`: the private cluster lets no other local user in.
//! - `files`: store files are the registry's alone, never written through a link; keys
//!   others can read are refused.
//! - `addresses`: no answer names where a database is, or as whom the registry connects.
//! - `secrets`: references to secrets limited to configured places; no secret, and no part of
//!   an unparsable URL, in any answer, failed plan, audit entry or log line.
//! - `scopes`: environment-wide settings need an unscoped admin; environment reads are scoped.
//! - `replays`: a kept answer only for a caller that passes the checks; 403 before 413;
//!   another service's plan is one that does not exist; a rejection says why.
//! - `roles`: roles named in pushed SQL or verified plans do not stay on the scratch server.
//! - `hazards`: privilege-raising DDL is a hazard that names who will own it.
//! - `slow_clients`: connections that send half a header are closed; the others are served.
//! - `problems`: every error is a problem document of its cause, bodies checked after roles.
//! - `document`: the OpenAPI document resolves, types the snapshot and says every status.
//! - `injection`: no text of a snapshot runs as SQL of its own, on any connection.
//! - `plan_race`: plans created at once for one environment leave exactly one live.

mod addresses;
mod audit_flood;
mod cluster;
mod document;
mod files;
mod hazards;
mod injection;
mod plan_race;
mod problems;
mod replays;
mod roles;
mod scopes;
mod secrets;
mod slow_clients;
