use clap::Parser;

use schemareg::cli::{Cli, run};

/// mimalloc: a seventh less CPU than the system's allocator for a command reading 10,000
/// tables (the rows of the catalog queries and the snapshots built from them are millions of
/// small allocations, freed on threads other than those that made them).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // An event that cannot be written is lost: told about on stderr (the default), the
        // report itself would panic there when stderr is a closed pipe.
        .log_internal_errors(false)
        // Colours for a person at a terminal, plain text for log collectors and files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SCHEMAREG_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    // The service serves many requests at once; a command waits on a few connections, whose
    // messages are cheaper handled on one thread than handed between threads (CPU work goes
    // to blocking threads either way).
    // A process that serves also keeps returning the memory it frees; a command that runs for
    // seconds does not.
    let mut runtime = match cli.command {
        schemareg::cli::Command::Serve(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => {
            schemareg::allocator::keep_freed_memory();
            tokio::runtime::Builder::new_current_thread()
        }
    };
    let runtime = runtime.enable_all().build().expect("start the runtime");
    // The runtime (and with it any private cluster) is shut down before the process exits.
    let code = runtime.block_on(async {
        match run(cli).await {
            Ok(code) => code,
            Err(e) => {
                schemareg::say!("schemareg: error: {e:#}");
                2
            }
        }
    });
    drop(runtime);
    std::process::exit(code);
}
