//! Connections to PostgreSQL from a URL.
//!
//! `sslmode` follows libpq: `disable` never encrypts; `prefer` (the default) and `require`
//! encrypt without checking the certificate (`prefer` falls back to plain text when the
//! server has no TLS); `verify-ca` and `verify-full` check it against the Mozilla roots.
//! A URL holds a password: [`redact`] gives the form that may be shown.

mod budget;
mod error;
mod socket;
mod tls;
mod url;

pub use budget::{Budget, Counts, NoPlace, Pooled};
pub use error::{ConnectError, Failure, error_text};
pub use url::{percent_encoded, redact};

use url::{describe, parse_problem, take_sslmode};

use std::sync::Arc;
use std::time::{Duration, Instant};

/// A connection to a server, as [`Target::connect`] opens it.
pub use tokio_postgres::Client;
use tokio_postgres::config::SslMode;
use tokio_postgres::{Config, NoTls};

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

#[cfg(test)]
mod tests;
