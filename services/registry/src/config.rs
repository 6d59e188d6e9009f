//! Configuration: defaults that work locally, then a TOML file, then `SCHEMAREG_*` variables.

use std::path::Path;

use base64::Engine;
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
    /// The start of scratch databases' names (`SCHEMAREG_SCRATCH_PREFIX`).
    pub scratch_prefix: String,
    /// Most connections open to the scratch server at once (`SCHEMAREG_SCRATCH_CONNECTIONS`):
    /// what the templates and ready databases keep, and three per push or plan running there.
    pub scratch_connections: usize,
    /// Empty scratch databases kept ready for pushes, each with its owner's session open
    /// (`SCHEMAREG_SCRATCH_READY`; 0: every push makes and drops a database of its own).
    pub scratch_ready: usize,
    /// How long a push request waits for its push before answering 202 and finishing it in
    /// the background, in seconds (`SCHEMAREG_PUSH_WAIT_SECS`; keep it under
    /// `request_timeout_secs`).
    pub push_wait_secs: u64,
    /// Largest request body accepted, in bytes (`SCHEMAREG_BODY_LIMIT`).
    pub body_limit: usize,
    /// Longest a request may take, in seconds (`SCHEMAREG_REQUEST_TIMEOUT_SECS`).
    pub request_timeout_secs: u64,
    /// Folder for development keys made on first use (`SCHEMAREG_DATA_DIR`).
    pub data_dir: String,
    /// The `iss` that tokens must carry (`SCHEMAREG_JWT_ISSUER`).
    pub jwt_issuer: String,
    /// The `aud` that tokens must carry (`SCHEMAREG_JWT_AUDIENCE`).
    pub jwt_audience: String,
    /// Shared secret for HS256 tokens (`SCHEMAREG_JWT_HS256_SECRET`).
    pub jwt_hs256_secret: Option<String>,
    /// PEM files of public keys for RS256 or ES256 tokens (`SCHEMAREG_JWT_PUBLIC_KEYS`).
    pub jwt_public_keys: Vec<String>,
    /// Key that encrypts database URLs in the store: 32 bytes in base64 (`SCHEMAREG_SECRET_KEY`).
    pub secret_key: Option<String>,
    /// How long a plan being computed or applied stays claimed by its registry without being
    /// renewed, in seconds (`SCHEMAREG_LEASE_SECS`).
    pub lease_secs: u64,
    /// Clock skew allowed on a token's `exp` and `nbf`, in seconds, at most 60
    /// (`SCHEMAREG_JWT_LEEWAY_SECS`).
    pub jwt_leeway_secs: u64,
    /// `env:NAME` references of bindings must start with this (`SCHEMAREG_SECRET_ENV_PREFIX`;
    /// empty: no `env:` references).
    pub secret_env_prefix: String,
    /// Directories whose files `file:/path` references may name (`SCHEMAREG_SECRET_FILE_DIRS`;
    /// none: no `file:` references).
    pub secret_file_dirs: Vec<String>,
    /// `host:port/database` patterns that bound databases must match, `*` and `?` as wildcards
    /// (`SCHEMAREG_ALLOWED_DATABASES`; none: any).
    pub allowed_databases: Vec<String>,
    /// How long a client may take to send a request's headers, in seconds; slower connections
    /// are closed (`SCHEMAREG_HEADER_READ_TIMEOUT_SECS`).
    pub header_read_timeout_secs: u64,
    /// Most connections served at once; more wait to be accepted (`SCHEMAREG_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// Watch every binding's database for drift on the schedule of its environment's policy
    /// (`SCHEMAREG_DRIFT_WATCH`).
    pub drift_watch: bool,
    /// Most drift checks running at once (`SCHEMAREG_DRIFT_CONCURRENCY`).
    pub drift_concurrency: usize,
    /// Longest a drift check may take, in seconds; a database that has not answered by then is
    /// `unknown` (`SCHEMAREG_DRIFT_TIMEOUT_SECS`).
    pub drift_timeout_secs: u64,
    /// On SIGTERM, how long `/readyz` answers 503 while requests are still accepted, before
    /// the listener closes, in seconds (`SCHEMAREG_DRAIN_DELAY_SECS`).
    pub drain_delay_secs: u64,
    /// Most connections open to one bound database server (`host:port`) at once, shared by
    /// every binding that points at it (`SCHEMAREG_TARGET_SERVER_CONNECTIONS`).
    pub target_server_connections: usize,
    /// Most connections open to bound database servers at once, in all
    /// (`SCHEMAREG_TARGET_CONNECTIONS_TOTAL`).
    pub target_connections_total: usize,
    /// Connections to bound databases idle this long are closed, in seconds
    /// (`SCHEMAREG_TARGET_IDLE_SECS`).
    pub target_idle_secs: u64,
    /// Longest a plan, an apply or a read waits for a connection to a bound database server
    /// whose budget is in use, in seconds; then 503 with `Retry-After`
    /// (`SCHEMAREG_TARGET_WAIT_SECS`). A drift check waits at most its own timeout.
    pub target_wait_secs: u64,
    /// The registry's address as its users reach it, for links in webhook events
    /// (`SCHEMAREG_PUBLIC_URL`; none: `http://` and `listen`).
    pub public_url: Option<String>,
    /// Deliver webhook events (`SCHEMAREG_WEBHOOKS`); off, events still queue in the store.
    pub webhooks: bool,
    /// Longest a webhook receiver may take to answer, in seconds (`SCHEMAREG_WEBHOOK_TIMEOUT_SECS`).
    pub webhook_timeout_secs: u64,
    /// How long a delivery is retried before it is dead, in seconds
    /// (`SCHEMAREG_WEBHOOK_RETRY_SECS`; 24 hours).
    pub webhook_retry_secs: u64,
    /// The wait before the first retry, in milliseconds; it doubles with every failure up to an
    /// hour, give or take a fifth (`SCHEMAREG_WEBHOOK_BACKOFF_MS`).
    pub webhook_backoff_ms: u64,
    /// Most deliveries sent at once, each to a different subscription
    /// (`SCHEMAREG_WEBHOOK_CONCURRENCY`).
    pub webhook_concurrency: usize,
    /// Networks (CIDR) of loopback, private or link-local addresses that webhook receivers may
    /// have (`SCHEMAREG_WEBHOOK_ALLOWED_NETWORKS`; none: receivers must be public).
    pub webhook_allowed_networks: Vec<String>,
    /// How long audit entries are kept, in days (`SCHEMAREG_AUDIT_RETENTION_DAYS`; none:
    /// for good). Older ones are let go once an hour.
    pub audit_retention_days: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            store_url: "sqlite://data/schemareg.db".into(),
            scratch_url: None,
            scratch_prefix: schemareg_adapters::scratch::DEFAULT_PREFIX.into(),
            scratch_connections: 24,
            scratch_ready: 4,
            push_wait_secs: 5,
            body_limit: 16 * 1024 * 1024,
            request_timeout_secs: 30,
            data_dir: "data".into(),
            jwt_issuer: "schemareg".into(),
            jwt_audience: "schemareg".into(),
            jwt_hs256_secret: None,
            jwt_public_keys: Vec::new(),
            secret_key: None,
            lease_secs: 60,
            jwt_leeway_secs: 5,
            secret_env_prefix: "SCHEMAREG_DB_".into(),
            secret_file_dirs: Vec::new(),
            allowed_databases: Vec::new(),
            header_read_timeout_secs: 10,
            max_connections: 4096,
            drift_watch: true,
            drift_concurrency: 4,
            drift_timeout_secs: 30,
            drain_delay_secs: 5,
            target_server_connections: 4,
            target_connections_total: 64,
            target_idle_secs: 60,
            target_wait_secs: 20,
            public_url: None,
            webhooks: true,
            webhook_timeout_secs: 10,
            webhook_retry_secs: 24 * 3600,
            webhook_backoff_ms: 5000,
            webhook_concurrency: 64,
            webhook_allowed_networks: Vec::new(),
            audit_retention_days: None,
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
            .field("scratch_prefix", &self.scratch_prefix)
            .field("scratch_connections", &self.scratch_connections)
            .field("scratch_ready", &self.scratch_ready)
            .field("push_wait_secs", &self.push_wait_secs)
            .field("body_limit", &self.body_limit)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("data_dir", &self.data_dir)
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .field("jwt_hs256_secret", &self.jwt_hs256_secret.as_ref().map(|_| "<set>"))
            .field("jwt_public_keys", &self.jwt_public_keys)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<set>"))
            .field("lease_secs", &self.lease_secs)
            .field("jwt_leeway_secs", &self.jwt_leeway_secs)
            .field("secret_env_prefix", &self.secret_env_prefix)
            .field("secret_file_dirs", &self.secret_file_dirs)
            .field("allowed_databases", &self.allowed_databases)
            .field("header_read_timeout_secs", &self.header_read_timeout_secs)
            .field("max_connections", &self.max_connections)
            .field("drift_watch", &self.drift_watch)
            .field("drift_concurrency", &self.drift_concurrency)
            .field("drift_timeout_secs", &self.drift_timeout_secs)
            .field("drain_delay_secs", &self.drain_delay_secs)
            .field("target_server_connections", &self.target_server_connections)
            .field("target_connections_total", &self.target_connections_total)
            .field("target_idle_secs", &self.target_idle_secs)
            .field("target_wait_secs", &self.target_wait_secs)
            .field("public_url", &self.public_url)
            .field("webhooks", &self.webhooks)
            .field("webhook_timeout_secs", &self.webhook_timeout_secs)
            .field("webhook_retry_secs", &self.webhook_retry_secs)
            .field("webhook_backoff_ms", &self.webhook_backoff_ms)
            .field("webhook_concurrency", &self.webhook_concurrency)
            .field("webhook_allowed_networks", &self.webhook_allowed_networks)
            .field("audit_retention_days", &self.audit_retention_days)
            .finish()
    }
}

const KEYS: [&str; 38] = [
    "listen",
    "store_url",
    "scratch_url",
    "scratch_prefix",
    "scratch_connections",
    "scratch_ready",
    "push_wait_secs",
    "body_limit",
    "request_timeout_secs",
    "data_dir",
    "jwt_issuer",
    "jwt_audience",
    "jwt_hs256_secret",
    "jwt_public_keys",
    "secret_key",
    "lease_secs",
    "jwt_leeway_secs",
    "secret_env_prefix",
    "secret_file_dirs",
    "allowed_databases",
    "header_read_timeout_secs",
    "max_connections",
    "drift_watch",
    "drift_concurrency",
    "drift_timeout_secs",
    "drain_delay_secs",
    "target_server_connections",
    "target_connections_total",
    "target_idle_secs",
    "target_wait_secs",
    "public_url",
    "webhooks",
    "webhook_timeout_secs",
    "webhook_retry_secs",
    "webhook_backoff_ms",
    "webhook_concurrency",
    "webhook_allowed_networks",
    "audit_retention_days",
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
        let config: Config = f
            .merge(Env::prefixed("SCHEMAREG_").only(&KEYS))
            .extract()
            .map_err(|e| ConfigError::Invalid(Box::new(e)))?;
        config.check()?;
        Ok(config)
    }

    /// Checks what the types do not: bounds.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.jwt_leeway_secs > 60 {
            return Err(ConfigError::Bound(format!(
                "jwt_leeway_secs is {}: allow at most 60 seconds of clock skew",
                self.jwt_leeway_secs
            )));
        }
        if self.header_read_timeout_secs == 0 || self.max_connections == 0 {
            return Err(ConfigError::Bound(
                "header_read_timeout_secs and max_connections must be at least 1".into(),
            ));
        }
        if self.push_wait_secs == 0 || self.push_wait_secs >= self.request_timeout_secs {
            return Err(ConfigError::Bound(format!(
                "push_wait_secs must be at least 1 and under request_timeout_secs ({}): a push still building then is finished in the background",
                self.request_timeout_secs
            )));
        }
        if self.drift_concurrency == 0 || self.drift_timeout_secs == 0 {
            return Err(ConfigError::Bound(
                "drift_concurrency and drift_timeout_secs must be at least 1".into(),
            ));
        }
        if self.target_server_connections == 0
            || self.target_connections_total < self.target_server_connections
            || self.target_idle_secs == 0
            || self.target_wait_secs == 0
        {
            return Err(ConfigError::Bound(
                "target_server_connections, target_idle_secs and target_wait_secs must be at least 1, and target_connections_total at least target_server_connections".into(),
            ));
        }
        if self.webhook_timeout_secs == 0 || self.webhook_concurrency == 0 || self.webhook_backoff_ms == 0 {
            return Err(ConfigError::Bound(
                "webhook_timeout_secs, webhook_concurrency and webhook_backoff_ms must be at least 1".into(),
            ));
        }
        if self.audit_retention_days == Some(0) {
            return Err(ConfigError::Bound(
                "audit_retention_days must be at least 1 (leave it out to keep every entry)".into(),
            ));
        }
        for n in &self.webhook_allowed_networks {
            crate::webhooks::target::Network::parse(n).map_err(ConfigError::Bound)?;
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Bound(format!(
                "public_url {url:?} must be an http:// or https:// address"
            )));
        }
        Ok(())
    }

    /// The registry's address as its users reach it, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }
}

impl Config {
    /// A development secret kept in the data folder: 32 random bytes in base64, made on first
    /// use (mode 0600). One that others can read is refused, not used.
    pub fn dev_secret(&self, file: &str) -> Result<String, ConfigError> {
        let dir = std::path::Path::new(&self.data_dir);
        let path = dir.join(file);
        let read = |path: &std::path::Path| std::fs::read_to_string(path).map(|s| s.trim().to_string());
        if let Ok(text) = read(&path) {
            schemareg_adapters::files::check_private(&path).map_err(ConfigError::Key)?;
            return Ok(text);
        }
        let unreadable = |e: std::io::Error| ConfigError::Key(format!("{}: {e}", path.display()));
        std::fs::create_dir_all(dir).map_err(unreadable)?;
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| ConfigError::Key(e.to_string()))?;
        let text = base64::engine::general_purpose::STANDARD.encode(key);
        use std::io::Write;
        match schemareg_adapters::files::create_private(&path) {
            Ok(mut f) => f.write_all(text.as_bytes()).map_err(unreadable)?,
            // Made by another process meanwhile: use that one.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(unreadable(e)),
        }
        read(&path).map_err(unreadable)
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    Missing(String),
    #[error("invalid configuration: {0}")]
    Invalid(Box<figment::Error>),
    #[error("key: {0}")]
    Key(String),
    #[error("invalid configuration: {0}")]
    Bound(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_waits_less_than_a_request_may_take() {
        assert!(Config::default().check().is_ok());
        for (wait, timeout) in [(30, 30), (31, 30), (0, 30), (5, 3)] {
            let config = Config {
                push_wait_secs: wait,
                request_timeout_secs: timeout,
                ..Config::default()
            };
            let e = config.check().unwrap_err().to_string();
            assert!(e.contains("push_wait_secs"), "{wait} {timeout}: {e}");
        }
    }
}
