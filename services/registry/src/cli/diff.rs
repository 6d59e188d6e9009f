//! `schemareg diff FROM TO`: the plan that takes FROM to TO. Exit code 0 when they do not
//! differ, 1 when they do, 2 on error (as diff(1)).

use std::io::Write;

use schemareg_adapters::compare::Planned;
use schemareg_engine::diff::Comparison;
use schemareg_engine::plan::{PlanOptions, ScriptOptions, render_rollback_script, render_script, valid_duration};

use crate::source::{ScratchProvider, Source, load, load_sizable};

use super::ScopeArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A reviewable SQL script that psql applies as it is.
    Sql,
    /// The plan as JSON: steps with SQL, rollback, hazards, lock and transaction flag.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The schema as it is: a postgres:// URL, a .sql file or a .json snapshot.
    pub from: String,
    /// The schema as it should be: a postgres:// URL, a .sql file or a .json snapshot.
    pub to: String,
    #[arg(long, value_enum, default_value_t = Format::Sql)]
    pub format: Format,
    /// Print the rollback script instead of the plan.
    #[arg(long)]
    pub rollback: bool,
    /// Verify the plan in a scratch database first: FROM rebuilt, the plan applied (it must
    /// give TO), the rollback applied (it must give FROM back). Exit 2 if it does not hold.
    #[arg(long)]
    pub verify: bool,
    /// Build indexes on existing tables with CREATE INDEX CONCURRENTLY.
    #[arg(long)]
    pub concurrently: bool,
    /// lock_timeout for the script's session.
    #[arg(long, default_value = "10s")]
    pub lock_timeout: String,
    /// statement_timeout for the script's session.
    #[arg(long, default_value = "30min")]
    pub statement_timeout: String,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

pub async fn run(args: DiffArgs) -> Result<i32, anyhow::Error> {
    for (flag, v) in [
        ("--lock-timeout", &args.lock_timeout),
        ("--statement-timeout", &args.statement_timeout),
    ] {
        if !valid_duration(v) {
            anyhow::bail!("{flag} {v:?} is not a duration: write a number with ms, s, min, h or d (10s, 30min)");
        }
    }
    let from_source = Source::parse(&args.from)?;
    let to_source = Source::parse(&args.to)?;
    let scope = args.scope.scope()?;
    let scratch = ScratchProvider::new(args.scope.scratch_url.clone(), args.scope.scratch_prefix.clone());
    // Both sides are read at once: on two servers, or on two connections of one, the catalog
    // queries run side by side.
    // Each runs to its end even when another fails (a side cancelled half-way could leave a
    // scratch database behind).
    let (from, to) = tokio::join!(
        load_sizable(&from_source, &scope, &scratch),
        load(&to_source, &scope, &scratch),
    );
    let ((mut from, live), mut to) = (from?, to?);
    // A database is read as a role: default privileges without FOR ROLE and objects without
    // an owner are that role's, and the other side's naming it are the same.
    for (source, other) in [(&from_source, &mut to), (&to_source, &mut from)] {
        if let Some(user) = source.user() {
            other.as_applied_by(&user);
        }
    }
    let options = PlanOptions {
        concurrently: args.concurrently,
        ..PlanOptions::default()
    };
    let started = std::time::Instant::now();
    let planned = schemareg_adapters::compare::plan_live(&scratch, &scope, live.as_ref(), from, to, options).await?;
    drop(live);
    if let Some(warning) = &planned.warning {
        crate::say!("schemareg: warning: {warning}");
    }
    let Planned {
        compared: Comparison { from, to, .. },
        plan,
        ..
    } = planned;
    tracing::debug!(steps = plan.steps.len(), elapsed = ?started.elapsed(), "compared and planned");
    if args.verify && !plan.is_empty() {
        let server = scratch.get().await?;
        let report = schemareg_adapters::verify::verify(server, &scope, &from, &to, &plan).await?;
        if !report.passed() {
            anyhow::bail!("{}", report.summary());
        }
        crate::say!("schemareg: {}", report.summary());
    }
    // Buffered: stdout alone writes line by line (a system call per line of a JSON plan).
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &plan)?;
            writeln!(out)?;
        }
        Format::Sql => {
            let script = ScriptOptions {
                lock_timeout: args.lock_timeout.clone(),
                statement_timeout: args.statement_timeout.clone(),
            };
            let text = if args.rollback {
                render_rollback_script(&plan, &script)
            } else {
                render_script(&plan, &script)
            };
            out.write_all(text.as_bytes())?;
        }
    }
    out.flush()?;
    let code = if plan.is_empty() { 0 } else { 1 };
    // The process ends next: freeing two snapshots of thousands of tables allocation by
    // allocation would only delay the exit (a tenth of a second at 10,000 tables).
    std::mem::forget((from, to, plan));
    Ok(code)
}
