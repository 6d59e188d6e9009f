//! Connections to PostgreSQL from a URL.
//!
//! `sslmode` follows libpq: `disable` never encrypts; `prefer` (the default) and `require`
//! encrypt without checking the certificate (`prefer` falls back to plain text when the
//! server has no TLS); `verify-ca` and `verify-full` check it against the Mozilla roots.
//! A URL holds a password: [`redact`] gives the form that may be shown.

mod budget;
mod socket;
mod tls;

pub use budget::{Budget, Counts, NoPlace, Pooled};

use std::sync::Arc;
use std::time::{Duration, Instant};

/// A connection to a server, as [`Target::connect`] opens it.
pub use tokio_postgres::Client;
use tokio_postgres::config::SslMode;
use tokio_postgres::{Config, NoTls};

/// Why a connection could not be made. Never holds the password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL's shape is wrong. What it says is about the shape only: no part of the text
    /// (which may be a secret read from the wrong place) is repeated.
    #[error("invalid PostgreSQL URL: {problem}")]
    InvalidUrl { problem: String },
    #[error("cannot connect to {target}: {message}")]
    Unreachable {
        target: String,
        message: String,
        kind: Failure,
    },
}

/// What kind of failure kept a connection from being made, in words that hold no address,
/// user or database name: what an answer may say (the address and the server's own message
/// go to the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Refused,
    TimedOut,
    Authentication,
    NoDatabase,
    TooManyConnections,
    Tls,
    NoSuchHost,
    Busy,
    Other,
}

impl Failure {
    fn of(e: &tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        if let Some(code) = e.code() {
            return match code {
                c if *c == SqlState::INVALID_PASSWORD || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
                    Failure::Authentication
                }
                c if *c == SqlState::INVALID_CATALOG_NAME => Failure::NoDatabase,
                c if *c == SqlState::TOO_MANY_CONNECTIONS => Failure::TooManyConnections,
                _ => Failure::Other,
            };
        }
        let text = error_text(e).to_ascii_lowercase();
        if text.contains("refused") {
            Failure::Refused
        } else if text.contains("timed out") || text.contains("timeout") {
            Failure::TimedOut
        } else if text.contains("tls") || text.contains("certificate") || text.contains("ssl") {
            Failure::Tls
        } else if text.contains("lookup") || text.contains("resolve") || text.contains("name or service") {
            Failure::NoSuchHost
        } else {
            Failure::Other
        }
    }

    /// The failure in words: `the connection was refused`.
    pub fn said(self) -> &'static str {
        match self {
            Failure::Refused => "the connection was refused",
            Failure::TimedOut => "the server did not answer in time",
            Failure::Authentication => "the server refused the credentials",
            Failure::NoDatabase => "the database does not exist",
            Failure::TooManyConnections => "the server has no connection slot left",
            Failure::Tls => "TLS could not be set up",
            Failure::NoSuchHost => "the host name does not resolve",
            Failure::Busy => "the registry's connections to its server all stayed busy",
            Failure::Other => "the server could not be reached",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    Disable,
    Unverified,
    Verified,
}

/// A parsed connection target: the driver's configuration and how to do TLS.
#[derive(Clone)]
pub struct Target {
    config: Config,
    tls: Tls,
    shown: String,
    /// The budget every connection it opens counts against, if any.
    budget: Option<Arc<Budget>>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Target {
    /// The server's host and port (`db.internal:5432`, or a socket folder), never credentials.
    pub fn host(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        match self.config.get_ports().first() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }
    }

    /// The database's name (the user's name when the URL names none, as libpq does).
    pub fn database(&self) -> String {
        self.config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("postgres")
            .to_string()
    }

    /// Parses a `postgres://` URL (or a libpq key=value string).
    pub fn parse(url: &str) -> Result<Self, ConnectError> {
        let (rest, sslmode) = take_sslmode(url);
        let tls = match sslmode.as_deref() {
            None | Some("prefer") | Some("require") | Some("allow") => Tls::Unverified,
            Some("disable") => Tls::Disable,
            Some("verify-ca") | Some("verify-full") => Tls::Verified,
            Some(_) => {
                return Err(ConnectError::InvalidUrl {
                    problem: "its sslmode is none of disable, prefer, require, verify-ca and verify-full".into(),
                });
            }
        };
        let lower = url.trim_start().to_ascii_lowercase();
        let is_url = lower.starts_with("postgres://") || lower.starts_with("postgresql://");
        if !is_url && (lower.contains("://") || !lower.contains('=')) {
            return Err(ConnectError::InvalidUrl {
                problem: "it is not a postgres:// or postgresql:// URL".into(),
            });
        }
        let mut config: Config = rest
            .parse()
            .map_err(|e: tokio_postgres::Error| ConnectError::InvalidUrl {
                problem: parse_problem(&e),
            })?;
        config.ssl_mode(match sslmode.as_deref() {
            Some("disable") => SslMode::Disable,
            None | Some("prefer") | Some("allow") => SslMode::Prefer,
            _ => SslMode::Require,
        });
        if config.get_user().is_none() {
            config.user("postgres");
        }
        config.connect_timeout(std::time::Duration::from_secs(10));
        config.application_name("schemareg");
        let shown = describe(&config);
        Ok(Self {
            config,
            tls,
            shown,
            budget: None,
        })
    }

    /// The same target, its connections counted against `budget` (and waiting for a place in
    /// it when it is full).
    pub fn with_budget(mut self, budget: Arc<Budget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The server a budget counts its connections against: `host:port` as the URL names it
    /// (port 5432 when it names none).
    pub fn server(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.to_ascii_lowercase(),
            Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        format!("{host}:{}", self.config.get_ports().first().copied().unwrap_or(5432))
    }

    /// The same server, another database.
    pub fn with_database(&self, dbname: &str) -> Self {
        let mut t = self.clone();
        t.config.dbname(dbname);
        t.shown = describe(&t.config);
        t
    }

    /// The same server and database, another user and password.
    pub fn with_user(&self, user: &str, password: &str) -> Self {
        let mut t = self.clone();
        t.config.user(user).password(password);
        t.shown = describe(&t.config);
        t
    }

    /// A URL of `database` on the same server as the same user, without a password (for a
    /// server that asks none, such as a private cluster): a socket's folder is percent-encoded
    /// as the URL's host.
    pub fn url_without_password(&self, database: &str) -> String {
        let host = match self.config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Unix(p)) => percent_encoded(&p.display().to_string()),
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            None => "localhost".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let sslmode = match self.tls {
            Tls::Disable => "disable",
            Tls::Verified => "verify-full",
            Tls::Unverified => "prefer",
        };
        format!("postgres://{}@{host}:{port}/{database}?sslmode={sslmode}", self.user())
    }

    /// The user it connects as.
    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or("postgres")
    }

    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or("postgres")
    }

    /// The target as libpq's environment variables (`PGHOST`, `PGPORT`, `PGUSER`,
    /// `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`), for the PostgreSQL tools: a password given to
    /// them in an argument would be seen by every user of the machine (`ps`).
    pub fn libpq_env(&self) -> Vec<(&'static str, String)> {
        let join = |items: Vec<String>| items.join(",");
        let hosts = join(
            self.config
                .get_hosts()
                .iter()
                .map(|h| match h {
                    tokio_postgres::config::Host::Tcp(h) => h.clone(),
                    tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .collect(),
        );
        let ports = join(self.config.get_ports().iter().map(|p| p.to_string()).collect());
        let sslmode = match self.tls {
            Tls::Disable => "disable",
            Tls::Verified => "verify-full",
            Tls::Unverified if self.config.get_ssl_mode() == SslMode::Require => "require",
            Tls::Unverified => "prefer",
        };
        let mut env = vec![
            ("PGUSER", self.user().to_string()),
            ("PGDATABASE", self.database()),
            ("PGSSLMODE", sslmode.to_string()),
        ];
        if !hosts.is_empty() {
            env.push(("PGHOST", hosts));
        }
        if !ports.is_empty() {
            env.push(("PGPORT", ports));
        }
        if let Some(password) = self.config.get_password() {
            env.push(("PGPASSWORD", String::from_utf8_lossy(password).into_owned()));
        }
        env
    }

    /// Connects and drives the connection on the current tokio runtime. With a budget, the
    /// connection holds a place in it while it is open (waiting for one when it is full). A
    /// server that is out of connections ("too many clients") or starting up is asked again,
    /// less and less often, for as long as a place may be waited for (10 s without a budget).
    pub async fn connect(&self) -> Result<Client, ConnectError> {
        match &self.budget {
            Some(budget) => {
                let place = budget.place(&self.server()).await.map_err(|no| self.no_place(&no))?;
                self.connect_in(place).await
            }
            None => self.connect_retrying(None).await,
        }
    }

    /// Connects in a place of the budget (given back when the connection closes, or now if
    /// none could be made).
    pub(crate) async fn connect_in(&self, place: budget::Place) -> Result<Client, ConnectError> {
        self.connect_retrying(Some(place)).await
    }

    async fn connect_retrying(&self, place: Option<budget::Place>) -> Result<Client, ConnectError> {
        let wait = self.budget.as_ref().map_or(Duration::from_secs(10), |b| b.wait());
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(50);
        loop {
            match self.connect_once().await {
                Ok((client, connection)) => {
                    tokio::spawn(async move {
                        // The place is held for as long as the connection is open.
                        let _place = place;
                        connection.await;
                    });
                    return Ok(client);
                }
                Err(e) => {
                    let full =
                        matches!(&e, ConnectError::Unreachable { kind, .. } if *kind == Failure::TooManyConnections);
                    if !full || Instant::now() + pause > deadline {
                        return Err(e);
                    }
                    tracing::debug!(server = %self.server(), "the server is out of connections: asking again");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
            }
        }
    }

    /// One attempt, on the registry's own socket ([`socket::Socket`]: closing it waits for the
    /// server to let go): the client and the future that drives its connection. Each host of
    /// the URL in turn, as libpq does.
    async fn connect_once(
        &self,
    ) -> Result<(Client, std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>), ConnectError> {
        use tokio_postgres::config::Host;
        let fail = |e: tokio_postgres::Error| ConnectError::Unreachable {
            target: self.shown.clone(),
            message: error_text(&e),
            kind: Failure::of(&e),
        };
        let timeout = self
            .config
            .get_connect_timeout()
            .copied()
            .unwrap_or(Duration::from_secs(10));
        let ports = self.config.get_ports();
        let keepalive_idle = self.config.get_keepalives().then(|| self.config.get_keepalives_idle());
        let mut last = None;
        for (i, host) in self.config.get_hosts().iter().enumerate() {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            let opened = match host {
                Host::Tcp(name) => socket::Socket::tcp(name, port, timeout, keepalive_idle).await,
                Host::Unix(dir) => socket::Socket::unix(dir, port, timeout).await,
            };
            let socket = match opened {
                Ok(socket) => socket,
                Err(e) => {
                    last = Some(self.io_failure(&e));
                    continue;
                }
            };
            return Ok(match (host, self.tls) {
                // No TLS on a Unix socket (as libpq) nor where the URL turns it off.
                (Host::Unix(_), _) | (_, Tls::Disable) => {
                    let (client, conn) = self.config.connect_raw(socket, NoTls).await.map_err(fail)?;
                    (client, Box::pin(async move { drop(conn.await) }))
                }
                (Host::Tcp(name), tls) => {
                    use tokio_postgres::tls::MakeTlsConnect;
                    let mut make =
                        tokio_postgres_rustls::MakeRustlsConnect::new(tls::client_config(tls == Tls::Verified));
                    let connector =
                        <tokio_postgres_rustls::MakeRustlsConnect as MakeTlsConnect<socket::Socket>>::make_tls_connect(
                            &mut make, name,
                        )
                        .map_err(|e| ConnectError::Unreachable {
                            target: self.shown.clone(),
                            message: format!("TLS: {e}"),
                            kind: Failure::Tls,
                        })?;
                    let (client, conn) = self.config.connect_raw(socket, connector).await.map_err(fail)?;
                    (client, Box::pin(async move { drop(conn.await) }))
                }
            });
        }
        Err(last.unwrap_or_else(|| ConnectError::Unreachable {
            target: self.shown.clone(),
            message: "the URL names no host".into(),
            kind: Failure::NoSuchHost,
        }))
    }

    /// A socket that could not be opened.
    fn io_failure(&self, e: &std::io::Error) -> ConnectError {
        use std::io::ErrorKind;
        let kind = match e.kind() {
            ErrorKind::ConnectionRefused | ErrorKind::NotFound => Failure::Refused,
            ErrorKind::TimedOut => Failure::TimedOut,
            _ => {
                let text = e.to_string().to_ascii_lowercase();
                if text.contains("lookup") || text.contains("resolve") || text.contains("name or service") {
                    Failure::NoSuchHost
                } else {
                    Failure::Other
                }
            }
        };
        ConnectError::Unreachable {
            target: self.shown.clone(),
            message: format!("error connecting to server: {e}"),
            kind,
        }
    }

    /// No place in the budget: the connection was not even tried.
    pub(crate) fn no_place(&self, no: &NoPlace) -> ConnectError {
        ConnectError::Unreachable {
            target: self.shown.clone(),
            message: format!(
                "no connection to {} within the registry's budget for {}s",
                no.server,
                no.waited.as_secs()
            ),
            kind: Failure::Busy,
        }
    }
}

impl ConnectError {
    /// The kind of failure (none for a URL that is not valid).
    pub fn failure(&self) -> Option<Failure> {
        match self {
            ConnectError::InvalidUrl { .. } => None,
            ConnectError::Unreachable { kind, .. } => Some(*kind),
        }
    }

    /// What an answer may say of it: the kind of failure, never where or as whom.
    pub fn said(&self) -> &'static str {
        match self {
            ConnectError::InvalidUrl { .. } => "its URL is not valid",
            ConnectError::Unreachable { kind, .. } => kind.said(),
        }
    }

    /// What the server or the driver said (for the log: it may name a user or database, never
    /// the password).
    pub fn detail(&self) -> &str {
        match self {
            ConnectError::InvalidUrl { problem } => problem,
            ConnectError::Unreachable { message, .. } => message,
        }
    }

    /// For [`ConnectError::InvalidUrl`], what is wrong with the URL's shape; else the message.
    pub fn problem(&self) -> String {
        match self {
            ConnectError::InvalidUrl { problem } => problem.clone(),
            other => other.to_string(),
        }
    }
}

/// The options a connection string may name (the driver's error may name these, and only
/// these are repeated).
const KNOWN_OPTIONS: [&str; 14] = [
    "host",
    "hostaddr",
    "port",
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "connect_timeout",
    "keepalives",
    "keepalives_idle",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

/// What the driver found wrong with a connection string, said without repeating any of it.
fn parse_problem(e: &tokio_postgres::Error) -> String {
    let text = error_text(e);
    if let Some(rest) = text.split("invalid value for option `").nth(1)
        && let Some(option) = rest.split('`').next()
        && KNOWN_OPTIONS.contains(&option)
    {
        return format!("the value of its {option} is not valid");
    }
    if text.contains("unknown option") {
        return "it names an option that PostgreSQL connection strings do not have".into();
    }
    "it cannot be read as a PostgreSQL URL (check its host, port, percent-encoding and options)".into()
}

/// The full text of a driver error, its causes included.
pub fn error_text(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn describe(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let db = config.get_dbname().unwrap_or(user);
    format!("postgres://{user}@{host}:{port}/{db}")
}

/// A text as a URL's host (a socket's folder): every byte but letters, digits and `-._~`
/// percent-encoded.
pub fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A URL with its password replaced by `***`, safe to show.
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, tail) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if let Some((userinfo, host)) = authority.rsplit_once('@') {
            let user = userinfo.split(':').next().unwrap_or("");
            let tail = redact_query_password(tail);
            return if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            };
        }
        return format!("{scheme}://{authority}{}", redact_query_password(tail));
    }
    // key=value form: hide password=…
    url.split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn redact_query_password(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***".to_string()
            } else {
                kv.to_string()
            }
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// Removes `sslmode=…` from a URL or key=value string, returning it apart.
fn take_sslmode(url: &str) -> (String, Option<String>) {
    if url.contains("://") {
        let Some((base, query)) = url.split_once('?') else {
            return (url.to_string(), None);
        };
        let mut mode = None;
        let kept: Vec<&str> = query
            .split('&')
            .filter(|kv| match kv.strip_prefix("sslmode=") {
                Some(v) => {
                    mode = Some(v.to_string());
                    false
                }
                None => true,
            })
            .collect();
        let rebuilt = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (rebuilt, mode)
    } else {
        let mut mode = None;
        let kept: Vec<&str> = url
            .split_whitespace()
            .filter(|kv| match kv.strip_prefix("sslmode=") {
                Some(v) => {
                    mode = Some(v.to_string());
                    false
                }
                None => true,
            })
            .collect();
        (kept.join(" "), mode)
    }
}

#[cfg(test)]
mod tests;
