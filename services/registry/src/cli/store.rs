//! `schemareg store backup FILE` / `schemareg store restore FILE`: the store named by the
//! configuration (`store_url`), backed up to a new file or restored from one into a new store.

use std::path::PathBuf;

use schemareg_adapters::store::Store;

use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    #[command(subcommand)]
    pub action: StoreAction,
    /// The configuration file naming the store (else `SCHEMAREG_STORE_URL`).
    #[arg(long, env = "SCHEMAREG_CONFIG", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum StoreAction {
    /// Writes a consistent copy of the store to a new FILE (SQLite: also while a registry
    /// serves from it; PostgreSQL: pg_dump's custom format).
    Backup { file: PathBuf },
    /// Restores FILE into a new store: a SQLite file that does not exist yet, or an empty
    /// PostgreSQL database; a backup made by an older schemareg is migrated.
    Restore { file: PathBuf },
}

pub async fn run(args: StoreArgs) -> Result<i32, anyhow::Error> {
    let config = Config::load(args.config.as_deref())?;
    let shown = schemareg_adapters::pg::redact(&config.store_url);
    match args.action {
        StoreAction::Backup { file } => {
            Store::backup(&config.store_url, &file).await?;
            crate::say!("schemareg: the store {shown} is backed up to {}", file.display());
        }
        StoreAction::Restore { file } => {
            Store::restore(&config.store_url, &file).await?;
            crate::say!("schemareg: {} is restored into the store {shown}", file.display());
        }
    }
    Ok(0)
}
