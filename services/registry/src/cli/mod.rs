//! The command line: `schemareg <command>`.

mod diff;
mod openapi;
mod serve;
mod snapshot;
mod token;

use clap::{Parser, Subcommand};

/// schemareg: a schema registry for PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "schemareg", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the snapshot (or its digest) of a database, a DDL file or a snapshot JSON.
    Snapshot(snapshot::SnapshotArgs),
    /// Print the migration plan from FROM to TO (exit 0: no difference, 1: difference, 2: error).
    Diff(diff::DiffArgs),
    /// Run the HTTP service.
    Serve(serve::ServeArgs),
    /// Print the service's OpenAPI document.
    Openapi,
    /// Print a development token signed with the registry's HS256 key.
    Token(token::TokenArgs),
}

/// Options shared by the commands that read schemas.
#[derive(Debug, Clone, clap::Args)]
pub struct ScopeArgs {
    /// Scope pattern: SCHEMA or SCHEMA.TABLE (wildcards * and ?), a leading - excludes.
    /// Repeatable. Default: every schema that is not PostgreSQL's own.
    #[arg(long = "scope", value_name = "PATTERN")]
    pub scope: Vec<String>,
    /// A preset: supabase (its schemas left out), no-privileges (grants left out), owners
    /// (owners compared); migration-tools is always on. Repeatable.
    #[arg(long = "preset", value_name = "NAME")]
    pub preset: Vec<String>,
    /// A PostgreSQL server where schemareg may create and drop scratch databases (for .sql
    /// sources). Without it, a private cluster is started from the installed binaries.
    #[arg(long, env = "SCHEMAREG_SCRATCH_URL", value_name = "URL", hide_env_values = true)]
    pub scratch_url: Option<String>,
    /// The start of scratch databases' names (to tell runs sharing a server apart).
    #[arg(
        long,
        env = "SCHEMAREG_SCRATCH_PREFIX",
        value_name = "PREFIX",
        default_value = "schemareg_scratch_"
    )]
    pub scratch_prefix: String,
}

impl ScopeArgs {
    pub fn scope(&self) -> Result<schemareg_engine::Scope, schemareg_engine::ScopeError> {
        schemareg_engine::Scope::new(&self.scope, &self.preset)
    }
}

/// Runs a command; the result is the process's exit code.
pub async fn run(cli: Cli) -> Result<i32, anyhow::Error> {
    match cli.command {
        Command::Snapshot(args) => snapshot::run(args).await,
        Command::Diff(args) => diff::run(args).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Openapi => openapi::run(),
        Command::Token(args) => token::run(args),
    }
}
