//! `schemareg token`: a development token signed with the registry's HS256 key.

use std::path::PathBuf;

use crate::auth::{Role, sign};
use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// Who the token speaks for (its `sub`).
    #[arg(long, default_value = "developer")]
    pub subject: String,
    /// A role of the token. Repeatable.
    #[arg(long = "role", value_enum, required = true)]
    pub roles: Vec<Role>,
    /// How long the token is valid, in seconds.
    #[arg(long, default_value_t = 3600)]
    pub ttl: u64,
    /// The registry's TOML configuration (for its key, issuer and audience).
    #[arg(long, env = "SCHEMAREG_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn run(args: TokenArgs) -> Result<i32, anyhow::Error> {
    let config = Config::load(args.config.as_deref())?;
    println!("{}", sign(&config, &args.subject, &args.roles, args.ttl)?);
    Ok(0)
}
