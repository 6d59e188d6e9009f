//! Why a connection could not be made ([`ConnectError`]), the kind of failure an answer may
//! name ([`Failure`]), and the full text of a driver error.

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
    pub(super) fn of(e: &tokio_postgres::Error) -> Self {
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
