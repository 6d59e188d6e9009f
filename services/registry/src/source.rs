//! Where a schema comes from: a live database, a DDL file, or a snapshot JSON.

use std::path::{Path, PathBuf};

use schemareg_adapters::ingest::{IngestError, ingest};
use schemareg_adapters::introspect::{IntrospectError, introspect};
use schemareg_adapters::pg::{Client, ConnectError, Target};
use schemareg_adapters::scratch::{ScratchError, ScratchServer};
use schemareg_engine::{ParseError, Scope, Snapshot};

/// A schema source named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A `postgres://` or `postgresql://` URL.
    Database(String),
    /// A `.sql` file of DDL.
    Sql(PathBuf),
    /// A `.json` snapshot.
    Json(PathBuf),
}

/// Why a source could not be read. Messages never hold a password.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot tell what {0:?} is: give a postgres:// URL, a .sql file of DDL or a .json snapshot")]
    Unknown(String),
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: {error}")]
    Json { path: String, error: ParseError },
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Introspect(#[from] IntrospectError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Scratch(#[from] ScratchError),
    #[error("{path}: {error}")]
    Rejected {
        path: String,
        error: schemareg_adapters::verify::VerifyError,
    },
}

impl Source {
    /// The user a database source is read as.
    pub fn user(&self) -> Option<String> {
        match self {
            Source::Database(url) => schemareg_adapters::pg::Target::parse(url)
                .ok()
                .map(|t| t.user().to_string()),
            Source::Sql(_) | Source::Json(_) => None,
        }
    }

    pub fn parse(arg: &str) -> Result<Self, SourceError> {
        let lower = arg.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Ok(Source::Database(arg.to_string()))
        } else if lower.ends_with(".sql") {
            Ok(Source::Sql(PathBuf::from(arg)))
        } else if lower.ends_with(".json") {
            Ok(Source::Json(PathBuf::from(arg)))
        } else {
            Err(SourceError::Unknown(schemareg_adapters::pg::redact(arg)))
        }
    }

    /// Whether reading this source needs a scratch server.
    pub fn needs_scratch(&self) -> bool {
        matches!(self, Source::Sql(_) | Source::Json(_))
    }
}

/// Gives a scratch server on demand: the configured one, else a private cluster started the
/// first time one is needed.
pub struct ScratchProvider {
    url: Option<String>,
    prefix: String,
    server: tokio::sync::OnceCell<ScratchServer>,
}

impl ScratchProvider {
    pub fn new(url: Option<String>, prefix: String) -> Self {
        Self {
            url,
            prefix,
            server: tokio::sync::OnceCell::new(),
        }
    }

    /// The scratch server, made the first time one is asked for (also when two sources ask
    /// at once).
    pub async fn get(&self) -> Result<&ScratchServer, ScratchError> {
        self.server
            .get_or_try_init(|| async {
                let server = match &self.url {
                    Some(url) => ScratchServer::connect(url).await?,
                    None => {
                        crate::say!(
                            "schemareg: no scratch server given (--scratch-url or SCHEMAREG_SCRATCH_URL); \
                             starting a private PostgreSQL cluster for this run"
                        );
                        ScratchServer::private().await?
                    }
                };
                server.with_prefix(&self.prefix)
            })
            .await
    }
}

impl schemareg_adapters::compare::Scratch for ScratchProvider {
    async fn server(&self) -> Result<&ScratchServer, ScratchError> {
        self.get().await
    }
}

fn read(path: &Path) -> Result<Vec<u8>, SourceError> {
    std::fs::read(path).map_err(|e| SourceError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Reads a source into its scoped snapshot.
pub async fn load(source: &Source, scope: &Scope, scratch: &ScratchProvider) -> Result<Snapshot, SourceError> {
    Ok(load_sizable(source, scope, scratch).await?.0)
}

/// Reads a source into its scoped snapshot and, when it is a database, keeps the connection:
/// a plan from it reads the sizes of the tables it looks up there (a plan changes a few
/// tables, and reading the size of every table of a large database costs its server more
/// than the plan needs).
pub async fn load_sizable(
    source: &Source,
    scope: &Scope,
    scratch: &ScratchProvider,
) -> Result<(Snapshot, Option<Client>), SourceError> {
    let mut live = None;
    let snapshot = match source {
        Source::Database(url) => {
            let client = Target::parse(url)?.connect().await?;
            let snapshot = introspect(&client).await?.0;
            live = Some(client);
            snapshot
        }
        Source::Sql(path) => {
            let bytes = read(path)?;
            let text = String::from_utf8(bytes).map_err(|e| SourceError::Read {
                path: path.display().to_string(),
                message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
            })?;
            let server = scratch.get().await?;
            let ingested = ingest(server, &text, &path.display().to_string()).await?;
            for (reason, count) in &ingested.skipped {
                tracing::info!(count, reason, "statements passed over: snapshots do not model them");
            }
            settled(server, scope, path, scope.apply(ingested.snapshot)).await?
        }
        Source::Json(path) => {
            // A snapshot document is checked and spelled by PostgreSQL itself: built in a
            // scratch database and read back, then settled.
            let parsed = schemareg_engine::from_json(&read(path)?).map_err(|error| SourceError::Json {
                path: path.display().to_string(),
                error,
            })?;
            let server = scratch.get().await?;
            schemareg_adapters::verify::spell_and_settle(server, scope, &scope.apply(parsed))
                .await
                .map_err(|error| SourceError::Rejected {
                    path: path.display().to_string(),
                    error,
                })?
        }
    };
    Ok((scope.apply(snapshot), live))
}

/// A file's schema as a plan would write it (see `verify::settle`).
async fn settled(
    server: &ScratchServer,
    scope: &Scope,
    path: &Path,
    snapshot: Snapshot,
) -> Result<Snapshot, SourceError> {
    schemareg_adapters::verify::settle(server, scope, snapshot)
        .await
        .map_err(|error| SourceError::Rejected {
            path: path.display().to_string(),
            error,
        })
}
