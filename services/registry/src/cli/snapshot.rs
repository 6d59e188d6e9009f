//! `schemareg snapshot SOURCE`.

use std::io::Write;

use crate::source::{ScratchProvider, Source, load};

use super::ScopeArgs;

#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    /// A postgres:// URL, a .sql file of DDL, or a .json snapshot.
    pub source: String,
    /// Print only the digest (sha256:…).
    #[arg(long)]
    pub digest: bool,
    /// Print compact JSON instead of indented JSON.
    #[arg(long)]
    pub compact: bool,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

pub async fn run(args: SnapshotArgs) -> Result<i32, anyhow::Error> {
    let source = Source::parse(&args.source)?;
    let scope = args.scope.scope()?;
    let scratch = ScratchProvider::new(args.scope.scratch_url.clone(), args.scope.scratch_prefix.clone());
    let snapshot = load(&source, &scope, &scratch).await?;
    // Buffered: stdout alone writes line by line, and an indented snapshot of 10,000 tables
    // has a million lines (a system call each: seconds).
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if args.digest {
        writeln!(out, "{}", schemareg_engine::digest(&snapshot))?;
    } else if args.compact {
        serde_json::to_writer(&mut out, &snapshot)?;
        writeln!(out)?;
    } else {
        serde_json::to_writer_pretty(&mut out, &snapshot)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(0)
}
