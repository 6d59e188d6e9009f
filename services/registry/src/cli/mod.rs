//! The command line: `schemareg <command>`.

mod act;
mod demo;
mod diff;
mod openapi;
mod plan;
pub(crate) mod push;
mod serve;
mod snapshot;
mod status;
mod store;
mod token;
mod wait;

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
    /// Push a version of a service's wanted schema (a .sql, a .json or a postgres:// URL).
    Push(push::PushArgs),
    /// Plan an environment's way to a version (exit 1 while it waits for approval).
    Plan(plan::PlanArgs),
    /// Have the registry apply an approved plan, and wait until it is checked.
    Apply(act::ApplyArgs),
    /// Approve a plan.
    Approve(act::ApproveArgs),
    /// Report a plan the pipeline applied itself (applied or failed).
    Report(act::ReportArgs),
    /// Where a service stands in each environment (exit 1 with drift or plans waiting).
    Status(status::StatusArgs),
    /// Wait until the newest plan of an environment is approved, applied or verified.
    Wait(wait::WaitArgs),
    /// Backs up the registry's store, or restores a backup into a new store.
    Store(store::StoreArgs),
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

/// Why a command's output could not be written: its stdout was closed (`| head` that has
/// read enough, a terminal gone).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the output to stdout: {0}")]
pub struct OutputError(#[from] std::io::Error);

impl From<OutputError> for crate::client::ClientError {
    fn from(e: OutputError) -> Self {
        crate::client::ClientError::Usage(e.to_string())
    }
}

/// Writes a command's output on stdout as given (lines ended by the caller): a closed stdout
/// is an error the command reports (exit 2), never a panic.
pub fn out(text: &str) -> Result<(), OutputError> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// Runs a command; the result is the process's exit code.
pub async fn run(cli: Cli) -> Result<i32, anyhow::Error> {
    match cli.command {
        Command::Snapshot(args) => snapshot::run(args).await,
        Command::Diff(args) => diff::run(args).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Openapi => openapi::run(),
        Command::Token(args) => token::run(args),
        Command::Push(args) => Ok(client_code(push::run(args).await)),
        Command::Plan(args) => Ok(client_code(plan::run(args).await)),
        Command::Apply(args) => Ok(client_code(act::apply(args).await)),
        Command::Approve(args) => Ok(client_code(act::approve(args).await)),
        Command::Report(args) => Ok(client_code(act::report(args).await)),
        Command::Status(args) => Ok(client_code(status::run(args).await)),
        Command::Wait(args) => Ok(client_code(wait::run(args).await)),
        Command::Store(args) => store::run(args).await,
    }
}

/// A client command's exit code: its own, or its error's (said on stderr).
fn client_code(result: Result<i32, crate::client::ClientError>) -> i32 {
    result.unwrap_or_else(|e| {
        crate::say!("schemareg: {e}");
        e.exit_code()
    })
}
