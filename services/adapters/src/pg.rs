//! Connections to PostgreSQL from a URL.
//!
//! `sslmode` follows libpq: `disable` never encrypts; `prefer` (the default) and `require`
//! encrypt without checking the certificate (`prefer` falls back to plain text when the
//! server has no TLS); `verify-ca` and `verify-full` check it against the Mozilla roots.
//! A URL holds a password: [`redact`] gives the form that may be shown.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
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
            Failure::Busy => "every connection to it stayed busy",
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
        Ok(Self { config, tls, shown })
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

    /// Connects and drives the connection on the current tokio runtime.
    pub async fn connect(&self) -> Result<Client, ConnectError> {
        let fail = |e: tokio_postgres::Error| ConnectError::Unreachable {
            target: self.shown.clone(),
            message: error_text(&e),
            kind: Failure::of(&e),
        };
        let client = match self.tls {
            Tls::Disable => {
                let (client, conn) = self.config.connect(NoTls).await.map_err(fail)?;
                tokio::spawn(async move { drop(conn.await) });
                client
            }
            tls => {
                let connector = tokio_postgres_rustls::MakeRustlsConnect::new(client_config(tls == Tls::Verified));
                let (client, conn) = self.config.connect(connector).await.map_err(fail)?;
                tokio::spawn(async move { drop(conn.await) });
                client
            }
        };
        Ok(client)
    }
}

impl Target {
    /// A pool of at most `max_size` connections to the target, for reads that come again and
    /// again (the drift watch): a connection given back is rolled back before it is used again
    /// (a read cut short by a timeout may have left its transaction open), and dropped when
    /// that does not answer within 5 s.
    pub fn pool(&self, max_size: usize) -> Result<deadpool_postgres::Pool, ConnectError> {
        use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
        let manager_config = || ManagerConfig {
            recycling_method: RecyclingMethod::Custom("ROLLBACK".into()),
        };
        let manager = match self.tls {
            Tls::Disable => Manager::from_config(self.config.clone(), NoTls, manager_config()),
            tls => Manager::from_config(
                self.config.clone(),
                tokio_postgres_rustls::MakeRustlsConnect::new(client_config(tls == Tls::Verified)),
                manager_config(),
            ),
        };
        Pool::builder(manager)
            .max_size(max_size)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(std::time::Duration::from_secs(30)))
            .recycle_timeout(Some(std::time::Duration::from_secs(5)))
            .wait_timeout(Some(std::time::Duration::from_secs(60)))
            .build()
            .map_err(|e| ConnectError::Unreachable {
                target: self.shown.clone(),
                message: e.to_string(),
                kind: Failure::Other,
            })
    }

    /// A connection from `pool` (made by [`Target::pool`]), or why there is none.
    pub async fn pooled(&self, pool: &deadpool_postgres::Pool) -> Result<deadpool_postgres::Object, ConnectError> {
        use deadpool_postgres::{PoolError, TimeoutType};
        pool.get().await.map_err(|e| {
            let (message, kind) = match e {
                PoolError::Backend(e) => (error_text(&e), Failure::of(&e)),
                PoolError::Timeout(TimeoutType::Create) => ("no connection within 30 s".into(), Failure::TimedOut),
                PoolError::Timeout(_) => (
                    "every connection of the pool stayed busy for 60 s".into(),
                    Failure::Busy,
                ),
                other => (other.to_string(), Failure::Other),
            };
            ConnectError::Unreachable {
                target: self.shown.clone(),
                message,
                kind,
            }
        })
    }
}

impl ConnectError {
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

fn client_config(verify: bool) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions");
    if verify {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
            .with_no_client_auth()
    }
}

/// libpq's `sslmode=require`: encryption without certificate checks.
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_env_carries_the_target_with_the_password_out_of_arguments() {
        let env = |url: &str| -> std::collections::BTreeMap<&str, String> {
            Target::parse(url).unwrap().libpq_env().into_iter().collect()
        };
        let e = env("postgres://app:s%3Dcret@db.internal:6432/store?sslmode=require");
        assert_eq!(e["PGHOST"], "db.internal");
        assert_eq!(e["PGPORT"], "6432");
        assert_eq!(e["PGUSER"], "app");
        assert_eq!(e["PGPASSWORD"], "s=cret");
        assert_eq!(e["PGDATABASE"], "store");
        assert_eq!(e["PGSSLMODE"], "require");
        let e = env("postgres://postgres@127.0.0.1/x?sslmode=disable");
        assert_eq!(e["PGSSLMODE"], "disable");
        assert!(!e.contains_key("PGPASSWORD"));
        assert_eq!(env("postgres://h/x?sslmode=verify-full")["PGSSLMODE"], "verify-full");
        assert_eq!(env("postgres://h/x")["PGSSLMODE"], "prefer");
    }

    #[test]
    fn redact_hides_passwords_in_every_form() {
        assert_eq!(
            redact("postgres://app:s3cret@db.example:5432/app"),
            "postgres://app:***@db.example:5432/app"
        );
        assert_eq!(
            redact("postgres://app@db/app?password=s3cret&sslmode=require"),
            "postgres://app@db/app?password=***&sslmode=require"
        );
        assert_eq!(
            redact("host=db user=app password=s3cret"),
            "host=db user=app password=***"
        );
        assert!(!format!("{:?}", Target::parse("postgres://app:s3cret@db/app").unwrap()).contains("s3cret"));
    }

    #[test]
    fn an_invalid_url_is_described_without_repeating_it() {
        for text in [
            "c2VjcmV0LWtleS1tYXRlcmlhbC1kby1ub3Qtc2hvdw==",
            "root:x:0:0:root:/root:/bin/bash",
            "postgres://u:pw@h:notaport/db",
            "postgres://u@h/db?frobnicate=s3cret",
            "mysql://u:s3cret@h/db",
            "host=h s3cret=1",
        ] {
            let e = Target::parse(text).unwrap_err().to_string();
            for part in ["c2VjcmV0", "root", "notaport", "frobnicate", "s3cret", "mysql"] {
                assert!(!e.contains(part), "{text:?} gave {e:?}");
            }
        }
        let port = Target::parse("postgres://u@h:99999999/db").unwrap_err().to_string();
        assert!(port.contains("port"), "{port}");
    }

    #[test]
    fn sslmode_is_taken_apart_and_checked() {
        let t = Target::parse("postgres://u@h/db?sslmode=verify-full").unwrap();
        assert_eq!(t.tls, Tls::Verified);
        assert_eq!(
            Target::parse("postgres://u@h/db?sslmode=disable").unwrap().tls,
            Tls::Disable
        );
        assert_eq!(Target::parse("postgres://u@h/db").unwrap().tls, Tls::Unverified);
        let e = Target::parse("postgres://u:pw@h/db?sslmode=bogus")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("sslmode") && !e.contains("bogus") && !e.contains("pw@"),
            "{e}"
        );
    }
}
