//! SQL ingest: a DDL script run in a fresh scratch database and introspected.
//!
//! The script runs in one transaction as the scratch database's unprivileged owner. Roles
//! the script names but the server lacks are created (`NOLOGIN`) and the script is run again.
//! An error comes back with PostgreSQL's message, the file's line and column, and the
//! statement's text. The scratch database is dropped whatever happens.

pub mod default_privileges;
pub mod owners;
pub mod renames;
pub mod split;

use schemareg_engine::Snapshot;
use tokio_postgres::Client;
use tokio_postgres::error::{ErrorPosition, SqlState};

use crate::introspect::{IntrospectError, introspect, introspect_within};
use crate::scratch::{Lent, ScratchDatabase, ScratchError, ScratchServer};
use split::{Script, SplitError};

/// How many missing roles one script may make us create.
const MAX_ROLE_RETRIES: usize = 50;

/// Why a script could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{source_name}:{line}:{column}: {error}")]
    Split {
        source_name: String,
        line: usize,
        column: usize,
        error: SplitError,
    },
    #[error("{}", .0)]
    Sql(Box<SqlError>),
    #[error(transparent)]
    Scratch(#[from] ScratchError),
    #[error(transparent)]
    Introspect(#[from] IntrospectError),
}

/// PostgreSQL's error for a statement of the script, placed in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub source_name: String,
    pub line: usize,
    pub column: usize,
    /// The SQLSTATE code.
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// The failing statement's text (shortened when long).
    pub statement: String,
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {} (SQLSTATE {})",
            self.source_name, self.line, self.column, self.message, self.code
        )?;
        if let Some(d) = &self.detail {
            write!(f, "; {d}")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "; hint: {h}")?;
        }
        write!(f, "; in statement: {}", self.statement)
    }
}

/// The result of an ingest.
#[derive(Debug)]
pub struct Ingested {
    /// The unscoped snapshot of the scratch database after the script.
    pub snapshot: Snapshot,
    /// Statements passed over, by reason (ownership, privileges, …).
    pub skipped: std::collections::BTreeMap<&'static str, usize>,
}

/// Runs a DDL script in a fresh scratch database and introspects the result.
pub async fn ingest(scratch: &ScratchServer, sql: &str, source_name: &str) -> Result<Ingested, IngestError> {
    let mut script = split::split(sql).map_err(|error| {
        let (line, column) = line_column(sql, error.offset());
        IngestError::Split {
            source_name: source_name.to_string(),
            line,
            column,
            error,
        }
    })?;
    let _turn = scratch.admit().await?;
    if scratch.keeps_ready() && fits_one_transaction(&script) {
        let mut lent = scratch.lend().await?;
        let ran = rolled_back(&mut lent, &script, sql).await;
        scratch.give_back(lent).await;
        if let Some(snapshot) = ran? {
            return Ok(Ingested {
                snapshot,
                skipped: script.skipped(),
            });
        }
    }
    let db = scratch.create_database().await?;
    let result = async {
        owner_roles(&db, &mut script).await?;
        let body = script.runnable_text(sql);
        let client = db.connect().await?;
        run(scratch, &db, &client, &script, sql, &body, source_name).await?;
        other_roles_defaults(scratch, &db, &script, sql, source_name).await?;
        given_after(scratch, &db, &client, &script, sql, source_name).await?;
        let (mut snapshot, _) = introspect(&client).await?;
        renames::apply(&mut snapshot, &renames::declared(sql, &script));
        Ok::<_, IngestError>(snapshot)
    }
    .await;
    if let Err(e) = db.drop_now().await {
        tracing::warn!(error = %e, "could not drop a scratch database");
    }
    Ok(Ingested {
        snapshot: result?,
        skipped: script.skipped(),
    })
}

/// Whether the script can run in a lent database, inside a transaction rolled back after:
/// it gives no object to a role and sets no other role's default privileges (both need the
/// admin's session and roles a run leases).
fn fits_one_transaction(script: &Script) -> bool {
    script.statements.iter().all(|s| s.owner.is_none())
        && script.marked(split::OTHER_ROLES_DEFAULTS).next().is_none()
        && script.marked(split::GIVEN_AFTER).next().is_none()
}

/// Runs the script in a lent database's transaction and reads the result; `None` when it
/// fails (a role it names is missing, an error to place in the file: a database of its own
/// does that).
async fn rolled_back(lent: &mut Lent, script: &Script, sql: &str) -> Result<Option<Snapshot>, IngestError> {
    lent.begin().await?;
    let client = lent.client();
    if let Err(e) = client.batch_execute(&script.runnable_text(sql)).await {
        tracing::debug!(error = %crate::pg::error_text(&e), "the script fails in a lent database: run again in one of its own");
        return Ok(None);
    }
    let (mut snapshot, _) = introspect_within(client).await?;
    renames::apply(&mut snapshot, &renames::declared(sql, script));
    Ok(Some(snapshot))
}

async fn run(
    scratch: &ScratchServer,
    db: &ScratchDatabase,
    client: &Client,
    script: &Script,
    sql: &str,
    body: &str,
    source_name: &str,
) -> Result<(), IngestError> {
    let scratch_err = |e: tokio_postgres::Error| {
        IngestError::Scratch(ScratchError::Refused {
            server: scratch.admin().to_string(),
            action: "run a transaction",
            message: crate::pg::error_text(&e),
        })
    };
    for _ in 0..MAX_ROLE_RETRIES {
        client.batch_execute("BEGIN").await.map_err(scratch_err)?;
        let outcome = match client.batch_execute(body).await {
            Ok(()) => client.batch_execute("COMMIT").await,
            Err(e) => Err(e),
        };
        let Err(e) = outcome else { return Ok(()) };
        let _ = client.batch_execute("ROLLBACK").await;
        if let Some(role) = missing_role(&e) {
            db.ensure_role(&role).await?;
            continue;
        }
        if e.as_db_error().is_none() {
            return Err(scratch_err(e));
        }
        return Err(locate(client, script, sql, &e, source_name).await);
    }
    Err(IngestError::Sql(Box::new(SqlError {
        source_name: source_name.to_string(),
        line: 1,
        column: 1,
        code: "42704".into(),
        message: format!("the script names more than {MAX_ROLE_RETRIES} roles that do not exist"),
        detail: None,
        hint: None,
        statement: String::new(),
    })))
}

/// The roles `ALTER … OWNER TO` gives objects to are made ready before the script runs: made
/// when missing, and the scratch owner made a member of them. Statements giving objects to
/// the server's own roles (which no scratch owner may act for) are passed over: those
/// objects stay the scratch owner's, as the applying role's.
async fn owner_roles(db: &ScratchDatabase, script: &mut Script) -> Result<(), IngestError> {
    let roles: std::collections::BTreeSet<String> = script.statements.iter().filter_map(|s| s.owner.clone()).collect();
    for role in roles {
        if !db.ensure_role(&role).await? {
            for s in script.statements.iter_mut().filter(|s| s.owner.as_ref() == Some(&role)) {
                s.skip = Some(split::SERVER_ROLE_OWNERSHIP);
            }
        }
    }
    Ok(())
}

/// Runs the script's `ALTER DEFAULT PRIVILEGES FOR ROLE …`, read and written again, as the
/// server's admin once the script has committed (the owner may not act for other roles), in
/// the order written. The roles they name are made when missing.
async fn other_roles_defaults(
    scratch: &ScratchServer,
    db: &ScratchDatabase,
    script: &Script,
    sql: &str,
    source_name: &str,
) -> Result<(), IngestError> {
    let deferred: Vec<&split::Statement> = script.marked(split::OTHER_ROLES_DEFAULTS).collect();
    if deferred.is_empty() {
        return Ok(());
    }
    let at = |st: &split::Statement, code: &str, message: String, hint: Option<String>| {
        at_statement(sql, source_name, st, code, message, hint)
    };
    let admin = db.connect_admin().await?;
    for st in deferred {
        let rewritten = default_privileges::rewrite(&sql[st.start..st.end]).map_err(|e| {
            at(
                st,
                "42601",
                format!("schemareg cannot read this ALTER DEFAULT PRIVILEGES: {e}"),
                Some(
                    "write it as PostgreSQL documents it: FOR ROLE roles, IN SCHEMA schemas, then one GRANT or REVOKE"
                        .into(),
                ),
            )
        })?;
        for role in &rewritten.roles {
            db.ensure_role(role).await?;
        }
        // One statement, by the extended protocol: it can only ever be this statement.
        if let Err(e) = admin.execute(rewritten.sql.as_str(), &[]).await {
            return Err(match e.as_db_error() {
                // The admin may not: the scratch server's setup, not the script's mistake.
                Some(d) if d.code() != &SqlState::INSUFFICIENT_PRIVILEGE => at(
                    st,
                    d.code().code(),
                    d.message().to_string(),
                    d.hint().map(str::to_string),
                ),
                _ => IngestError::Scratch(ScratchError::Refused {
                    server: scratch.admin().to_string(),
                    action: "set another role's default privileges (its admin must be a superuser)",
                    message: crate::pg::error_text(&e),
                }),
            });
        }
    }
    Ok(())
}

/// An error about one statement of the script, placed at its start.
fn at_statement(
    sql: &str,
    source_name: &str,
    st: &split::Statement,
    code: &str,
    message: String,
    hint: Option<String>,
) -> IngestError {
    let (line, column) = line_column(sql, st.start);
    IngestError::Sql(Box::new(SqlError {
        source_name: source_name.to_string(),
        line,
        column,
        code: code.to_string(),
        message,
        detail: None,
        hint,
        statement: shorten(&sql[st.start..st.end]),
    }))
}

/// Gives the objects `ALTER … OWNER TO` names to their roles, once the script has committed:
/// each object found by the owner's session, given by the admin's (see [`owners`]).
async fn given_after(
    scratch: &ScratchServer,
    db: &ScratchDatabase,
    client: &Client,
    script: &Script,
    sql: &str,
    source_name: &str,
) -> Result<(), IngestError> {
    let given: Vec<&split::Statement> = script.marked(split::GIVEN_AFTER).collect();
    if given.is_empty() {
        return Ok(());
    }
    let admin = db.connect_admin().await?;
    let refused = |action: &'static str, e: tokio_postgres::Error| {
        IngestError::Scratch(ScratchError::Refused {
            server: scratch.admin().to_string(),
            action,
            message: crate::pg::error_text(&e),
        })
    };
    // Every object found at once (the lookups pipelined on one connection), then all given in
    // one transaction; should that fail, one by one, to tell which statement it was.
    let mut named = Vec::with_capacity(given.len());
    for st in given {
        let Some((kind, name)) = owners::object_of(&sql[st.start..st.end]) else {
            return Err(at_statement(
                sql,
                source_name,
                st,
                "42601",
                "schemareg cannot tell which object this ALTER … OWNER TO names".into(),
                Some("write ALTER <kind> <name> OWNER TO <role>, without comments inside".into()),
            ));
        };
        named.push((st, kind, name, st.owner.clone().unwrap_or_default()));
    }
    let lookups = futures_util::future::join_all(
        named
            .iter()
            .map(|(_, kind, name, role)| owners::find(client, *kind, name, role)),
    )
    .await;
    let mut gives = Vec::with_capacity(named.len());
    for ((st, kind, name, role), found) in named.iter().zip(lookups) {
        let Some(object) = found.map_err(|e| refused("find an object", e))? else {
            return Err(at_statement(
                sql,
                source_name,
                st,
                "42704",
                format!(
                    "{} {} does not exist",
                    kind.keyword().to_ascii_lowercase(),
                    shorten(name)
                ),
                None,
            ));
        };
        gives.push((*st, schemareg_engine::render::set_owner(&object, Some(role))));
    }
    // One transaction of single statements (the extended protocol: each can only ever be the
    // statement written from the catalog's names); when it fails, each again on its own to
    // say which.
    let all_at_once = async {
        admin.execute("BEGIN", &[]).await?;
        for (_, give) in &gives {
            admin.execute(give.as_str(), &[]).await?;
        }
        admin.execute("COMMIT", &[]).await
    };
    if all_at_once.await.is_ok() {
        return Ok(());
    }
    let _ = admin.execute("ROLLBACK", &[]).await;
    for (st, give) in gives {
        if let Err(e) = admin.execute(give.as_str(), &[]).await {
            return Err(match e.as_db_error() {
                Some(d) if d.code() != &SqlState::INSUFFICIENT_PRIVILEGE => {
                    at_statement(sql, source_name, st, d.code().code(), d.message().to_string(), None)
                }
                _ => refused("give an object to a role (its admin must be a superuser)", e),
            });
        }
    }
    Ok(())
}

/// `role "x" does not exist`: the role's name.
fn missing_role(e: &tokio_postgres::Error) -> Option<String> {
    let db = e.as_db_error()?;
    if db.code() != &SqlState::UNDEFINED_OBJECT {
        return None;
    }
    let rest = db.message().strip_prefix("role \"")?;
    let name = rest.strip_suffix("\" does not exist")?;
    Some(name.replace("\"\"", "\""))
}

/// Places an error in the file: by PostgreSQL's position when it gives one, else by running
/// the statements one by one until one fails.
async fn locate(
    client: &Client,
    script: &Script,
    sql: &str,
    e: &tokio_postgres::Error,
    source_name: &str,
) -> IngestError {
    let db = e.as_db_error().expect("checked by the caller");
    let offset = match db.position() {
        Some(ErrorPosition::Original(p)) => Some(char_to_byte(sql, *p as usize)),
        _ => None,
    };
    let (offset, db_err) = match offset {
        Some(o) => (Some(o), db.clone()),
        None => replay(client, script, sql).await.unwrap_or((None, db.clone())),
    };
    let statement = offset
        .and_then(|o| {
            script
                .statements
                .iter()
                .find(|s| s.start <= o && o < s.end.max(s.start + 1))
        })
        .map(|s| shorten(&sql[s.start..s.end]))
        .unwrap_or_default();
    let (line, column) = line_column(sql, offset.unwrap_or(sql.len()));
    IngestError::Sql(Box::new(SqlError {
        source_name: source_name.to_string(),
        line,
        column,
        code: db_err.code().code().to_string(),
        message: db_err.message().to_string(),
        detail: db_err.detail().map(str::to_string),
        hint: db_err.hint().map(str::to_string),
        statement,
    }))
}

/// Runs the statements one at a time in a transaction that is rolled back; returns where the
/// first failure is and its error.
async fn replay(
    client: &Client,
    script: &Script,
    sql: &str,
) -> Option<(Option<usize>, tokio_postgres::error::DbError)> {
    client.batch_execute("BEGIN").await.ok()?;
    let mut found = None;
    for s in script.runnable() {
        if let Err(e) = client.batch_execute(&sql[s.start..s.end]).await {
            if let Some(db) = e.as_db_error() {
                let offset = match db.position() {
                    Some(ErrorPosition::Original(p)) => s.start + char_to_byte(&sql[s.start..s.end], *p as usize),
                    _ => s.start,
                };
                found = Some((Some(offset), db.clone()));
            }
            break;
        }
    }
    let _ = client.batch_execute("ROLLBACK").await;
    found
}

/// The byte offset of PostgreSQL's 1-based character position.
fn char_to_byte(text: &str, position: usize) -> usize {
    text.char_indices()
        .nth(position.saturating_sub(1))
        .map_or(text.len(), |(b, _)| b)
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

fn shorten(statement: &str) -> String {
    let one_line: String = statement.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 240 {
        format!("{}…", one_line.chars().take(240).collect::<String>())
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "a\nbé c\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 2), (2, 1));
        assert_eq!(line_column(text, text.find('c').unwrap()), (2, 4));
        assert_eq!(char_to_byte(text, 5), text.find(' ').unwrap());
    }
}
