//! Configuration: defaults that work locally, then a TOML file, then `SCHEMAREG_*` variables.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The service's configuration.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (`SCHEMAREG_LISTEN`).
    pub listen: String,
    /// The registry's own store (`SCHEMAREG_STORE_URL`): `sqlite://…` or `postgres://…`.
    pub store_url: String,
    /// Server for scratch databases (`SCHEMAREG_SCRATCH_URL`); none: a private cluster.
    pub scratch_url: Option<String>,
    /// Largest request body accepted, in bytes (`SCHEMAREG_BODY_LIMIT`).
    pub body_limit: usize,
    /// Longest a request may take, in seconds (`SCHEMAREG_REQUEST_TIMEOUT_SECS`).
    pub request_timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            store_url: "sqlite://data/schemareg.db".into(),
            scratch_url: None,
            body_limit: 16 * 1024 * 1024,
            request_timeout_secs: 30,
        }
    }
}

// URLs may hold passwords: never printed.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("store_url", &schemareg_adapters::pg::redact(&self.store_url))
            .field(
                "scratch_url",
                &self.scratch_url.as_deref().map(schemareg_adapters::pg::redact),
            )
            .field("body_limit", &self.body_limit)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .finish()
    }
}

const KEYS: [&str; 5] = [
    "listen",
    "store_url",
    "scratch_url",
    "body_limit",
    "request_timeout_secs",
];

impl Config {
    /// Loads the configuration: defaults, the TOML file if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut f = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Missing(path.display().to_string()));
            }
            f = f.merge(Toml::file(path));
        }
        f.merge(Env::prefixed("SCHEMAREG_").only(&KEYS))
            .extract()
            .map_err(|e| ConfigError::Invalid(Box::new(e)))
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    Missing(String),
    #[error("invalid configuration: {0}")]
    Invalid(Box<figment::Error>),
}
