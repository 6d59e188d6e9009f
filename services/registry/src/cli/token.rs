//! `schemareg token`: a development token signed with the registry's HS256 key.

use std::path::PathBuf;

use crate::auth::{Role, sign_scoped};
use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// Who the token speaks for (its `sub`).
    #[arg(long, default_value = "developer")]
    pub subject: String,
    /// A role of the token. Repeatable.
    #[arg(long = "role", value_enum, required = true)]
    pub roles: Vec<Role>,
    /// Scope the token to a service (repeatable; default: all services).
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// Scope the token to an environment (repeatable; default: all environments).
    #[arg(long = "environment", value_name = "NAME")]
    pub environments: Vec<String>,
    /// How long the token is valid, in seconds.
    #[arg(long, default_value_t = 3600)]
    pub ttl: u64,
    /// The registry's TOML configuration (for its key, issuer and audience).
    #[arg(long, env = "SCHEMAREG_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn run(args: TokenArgs) -> Result<i32, anyhow::Error> {
    let config = Config::load(args.config.as_deref())?;
    let scope = |v: Vec<String>| (!v.is_empty()).then_some(v);
    let token = sign_scoped(
        &config,
        &args.subject,
        &args.roles,
        scope(args.services),
        scope(args.environments),
        args.ttl,
    )?;
    super::out(&format!("{token}\n"))?;
    Ok(0)
}
