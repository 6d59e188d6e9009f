//! Introspection: a live database read into a snapshot.
//!
//! One set-based catalog query per object kind (the `.sql` files beside this one), all in one
//! read-only repeatable-read transaction with an empty `search_path`, so that every name
//! outside `pg_catalog` comes back schema-qualified. The number of queries does not depend on
//! the size of the schema. The result holds every non-system schema; scopes are applied by
//! the engine afterwards.

mod build;
mod rows;

use schemareg_engine::Snapshot;
use tokio_postgres::Client;

use rows::Rows;

/// Why a database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    #[error("reading the catalog ({query}) failed: {message}")]
    Query { query: &'static str, message: String },
    #[error("unexpected catalog value in {query}: {message}")]
    Decode { query: &'static str, message: String },
    #[error("PostgreSQL {0} is not supported: schemareg reads PostgreSQL 12 and later")]
    UnsupportedVersion(String),
}

/// What an introspection cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntrospectStats {
    /// Statements sent to the server, the transaction's own included.
    pub queries: usize,
    /// The server's `server_version_num`.
    pub server_version: u32,
}

/// The catalog queries, in the order they run.
pub const QUERIES: &[(&str, &str)] = &[
    ("keywords", include_str!("queries/keywords.sql")),
    ("opclass_names", include_str!("queries/opclass_names.sql")),
    ("collation_names", include_str!("queries/collation_names.sql")),
    ("schemas", include_str!("queries/schemas.sql")),
    ("extensions", include_str!("queries/extensions.sql")),
    ("enums", include_str!("queries/enums.sql")),
    ("domains", include_str!("queries/domains.sql")),
    ("collations", include_str!("queries/collations.sql")),
    ("relations", include_str!("queries/relations.sql")),
    ("columns", include_str!("queries/columns.sql")),
    ("sequences", include_str!("queries/sequences.sql")),
    ("constraints", include_str!("queries/constraints.sql")),
    ("indexes", include_str!("queries/indexes.sql")),
    ("functions", include_str!("queries/functions.sql")),
    ("triggers", include_str!("queries/triggers.sql")),
    ("policies", include_str!("queries/policies.sql")),
    ("grants", include_str!("queries/grants.sql")),
    ("default_privileges", include_str!("queries/default_privileges.sql")),
    ("owners", include_str!("queries/owners.sql")),
    ("unmodelled", include_str!("queries/unmodelled.sql")),
    ("dependencies", include_str!("queries/dependencies.sql")),
];

/// A query's text for a server version: catalog columns that older versions lack are
/// replaced by what they mean there.
pub fn query_for_version(sql: &str, server_version: u32) -> String {
    let pg13 = server_version >= 130000;
    let pg15 = server_version >= 150000;
    sql.replace(
        "{nulls_not_distinct}",
        if pg15 {
            "ci.indnullsnotdistinct"
        } else {
            "NULL::boolean"
        },
    )
    .replace(
        "{index_nulls_not_distinct}",
        if pg15 { "i.indnullsnotdistinct" } else { "NULL::boolean" },
    )
    // The builder writes keys' and foreign keys' definitions as pg_get_constraintdef of
    // PostgreSQL 12 to 17 does; a newer server's are its own (WITHOUT OVERLAPS, NOT ENFORCED…).
    .replace(
        "{client_definitions}",
        if server_version < 180000 { "true" } else { "false" },
    )
    .replace(
        "{no_delete_set_columns}",
        if pg15 { "con.confdelsetcols IS NULL" } else { "true" },
    )
    .replace("{trigger_is_local}", if pg13 { "t.tgparentid = 0" } else { "true" })
    .replace(
        "{statistics}",
        if server_version >= 170000 {
            "a.attstattarget::int"
        } else {
            "NULLIF(a.attstattarget, -1)::int"
        },
    )
    .replace(
        "{compression}",
        if server_version >= 140000 {
            "NULLIF(a.attcompression::text, '')"
        } else {
            "NULL::text"
        },
    )
    .replace(
        "{icu_locale}",
        if server_version >= 170000 {
            "co.colllocale"
        } else if pg15 {
            "co.colliculocale"
        } else {
            "co.collcollate"
        },
    )
}

/// The rows of the catalog queries as they arrive, by name: the builder takes each query's
/// rows when it needs them, waiting for them if they have not come yet.
pub struct CatalogRows {
    arrived: Vec<(&'static str, Rows)>,
    incoming: std::sync::mpsc::Receiver<(&'static str, Rows)>,
    /// The role reading (the one plans are applied as): what it owns lists no owner.
    reader: String,
    /// The server quotes every identifier it prints (`quote_all_identifiers`).
    quote_all: bool,
}

impl CatalogRows {
    /// The rows of query `name` (none when the reading stopped before them: it then fails,
    /// and what was built is dropped).
    fn take(&mut self, name: &str) -> Rows {
        loop {
            if let Some(k) = self.arrived.iter().position(|(n, _)| *n == name) {
                return self.arrived.swap_remove(k).1;
            }
            match self.incoming.recv() {
                Ok(next) => self.arrived.push(next),
                Err(_) => return Rows::none(),
            }
        }
    }
}

fn failed(query: &'static str) -> impl Fn(tokio_postgres::Error) -> IntrospectError {
    move |e| IntrospectError::Query {
        query,
        message: crate::pg::error_text(&e),
    }
}

/// The settings the catalog queries run with (see [`read`]).
const SETTINGS: &str = "SET LOCAL search_path = ''; SET LOCAL jit = off; \
     SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL work_mem = '64MB'; \
     SET LOCAL join_collapse_limit = 1";

/// Reads the whole (unscoped) schema of the database the client is connected to.
pub async fn introspect(client: &Client) -> Result<(Snapshot, IntrospectStats), IntrospectError> {
    read(
        client,
        &format!("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; {SETTINGS}"),
        "ROLLBACK",
    )
    .await
}

/// As [`introspect`], inside the transaction the client holds open (its own uncommitted
/// changes included), which is left open as it was.
pub async fn introspect_within(client: &Client) -> Result<(Snapshot, IntrospectStats), IntrospectError> {
    read(
        client,
        &format!("SAVEPOINT schemareg_introspect; {SETTINGS}"),
        "ROLLBACK TO SAVEPOINT schemareg_introspect; RELEASE SAVEPOINT schemareg_introspect",
    )
    .await
}

/// Reads the schema between `begin` and `end` (which opens and ends the settings' scope).
async fn read(client: &Client, begin: &str, end: &str) -> Result<(Snapshot, IntrospectStats), IntrospectError> {
    let mut stats = IntrospectStats::default();
    client
        // JIT compiles plans whose estimates are large (thousands of tables), which costs
        // more than it saves on these one-off catalog queries; parallel workers take a few
        // milliseconds each to start and compete with the other side read at the same time;
        // the hash joins of tens of thousands of columns spill to disk in the default 4 MB.
        // The queries join in the order they are written (the catalog they list first, then
        // what each row looks up): searching every order of a dozen joins costs a fresh
        // connection more than it finds (a sixth of a small database's reading).
        .batch_execute(begin)
        .await
        .map_err(failed("begin"))?;
    stats.queries += 1;
    let result = async {
        let (reader, quote_all) = catalog_start(client, &mut stats).await?;
        // The catalog queries, sent at once: the connection pipelines them, so the server goes
        // from one to the next without waiting for the client to read each answer. Each
        // query's rows go to the builder as they come: it builds while the server runs the
        // queries after them.
        let texts: Vec<String> = QUERIES
            .iter()
            .map(|(_, sql)| query_for_version(sql, stats.server_version))
            .collect();
        let (send, incoming) = std::sync::mpsc::channel();
        let built = build_snapshot(CatalogRows {
            arrived: Vec::new(),
            incoming,
            reader,
            quote_all,
        });
        let catalog = async {
            let started = std::time::Instant::now();
            let mut answers: futures_util::stream::FuturesOrdered<_> = QUERIES
                .iter()
                .zip(&texts)
                .map(|((name, _), sql)| async move { (*name, rows::query(client, name, sql).await) })
                .collect();
            while let Some((name, answer)) = futures_util::StreamExt::next(&mut answers).await {
                let rows = answer?;
                tracing::debug!(query = name, rows = rows.len(), "catalog query");
                // The builder has stopped only when it failed: its error is the one to tell.
                let _ = send.send((name, rows));
            }
            drop(send);
            tracing::debug!(elapsed = ?started.elapsed(), "catalog read");
            Ok::<_, IntrospectError>(())
        };
        catalog.await?;
        let snapshot = built.await?;
        stats.queries += QUERIES.len();
        Ok(snapshot)
    }
    .await;
    // Only read: ending it cannot lose anything.
    let end = client.batch_execute(end).await;
    let result = result.and_then(|snapshot| end.map(|()| snapshot).map_err(failed("end")));
    stats.queries += 1;
    Ok((result?, stats))
}

/// The server's version (the catalog queries' text depends on it), the role reading and
/// whether the server quotes every identifier.
async fn catalog_start(client: &Client, stats: &mut IntrospectStats) -> Result<(String, bool), IntrospectError> {
    let version_row = client
        .query_one(
            "SELECT current_setting('server_version_num')::int, current_setting('server_version'), current_user::text, \
             current_setting('quote_all_identifiers')::bool",
            &[],
        )
        .await
        .map_err(failed("server_version"))?;
    stats.queries += 1;
    let version: i32 = version_row.get(0);
    stats.server_version = version as u32;
    if version < 120000 {
        return Err(IntrospectError::UnsupportedVersion(version_row.get(1)));
    }
    Ok((version_row.get(2), version_row.get(3)))
}

/// Builds the snapshot on a blocking thread from rows as they arrive: CPU work (a quarter of
/// a second at 10,000 tables), kept off the async workers so that the rows keep flowing.
/// Started at once; awaited for its snapshot.
fn build_snapshot(mut rows: CatalogRows) -> impl std::future::Future<Output = Result<Snapshot, IntrospectError>> {
    let task = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let snapshot = build::snapshot(&mut rows);
        tracing::debug!(elapsed = ?started.elapsed(), "snapshot built (from the first rows)");
        snapshot
    });
    async move {
        task.await.map_err(|e| IntrospectError::Decode {
            query: "build",
            message: e.to_string(),
        })?
    }
}

/// The size of every table of the database (rows estimated by `reltuples`, bytes by the
/// pages of the table, its TOAST table and indexes), in one query and without taking a lock:
/// plans say how big what they rewrite is.
pub async fn table_sizes(client: &Client) -> Result<schemareg_engine::plan::TableSizes, IntrospectError> {
    let rows = client
        .query(include_str!("queries/table_sizes.sql"), &[])
        .await
        .map_err(failed("table_sizes"))?;
    Ok(sizes(&rows))
}

/// The sizes of some tables, read as [`table_sizes`] reads them: those a plan looks up
/// (`schemareg_engine::plan::sized_tables`), which are few where the database's are many.
/// A table that is not there has no size.
pub async fn table_sizes_of(
    client: &Client,
    tables: &[schemareg_engine::QualifiedName],
) -> Result<schemareg_engine::plan::TableSizes, IntrospectError> {
    if tables.is_empty() {
        return Ok(Default::default());
    }
    let (schemas, names): (Vec<&str>, Vec<&str>) = tables.iter().map(|t| (t.schema.as_str(), t.name.as_str())).unzip();
    let rows = client
        .query(include_str!("queries/table_sizes_of.sql"), &[&schemas, &names])
        .await
        .map_err(failed("table_sizes_of"))?;
    Ok(sizes(&rows))
}

/// The sizes of the tables planning a comparison looks up
/// (`schemareg_engine::plan::sized_tables`), read from the live FROM the client is connected
/// to, into `options.sizes`. A size can change the steps, and the steps the sizes they look
/// up: asked again with the sizes read until no table is new.
pub async fn read_plan_sizes(
    client: &Client,
    compared: &schemareg_engine::diff::Comparison,
    options: &mut schemareg_engine::plan::PlanOptions,
) -> Result<(), IntrospectError> {
    let mut read = std::collections::BTreeSet::new();
    loop {
        let new: Vec<_> = schemareg_engine::plan::sized_tables(compared, options)
            .into_iter()
            .filter(|t| !read.contains(t))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        options.sizes.extend(table_sizes_of(client, &new).await?);
        read.extend(new);
    }
}

fn sizes(rows: &[tokio_postgres::Row]) -> schemareg_engine::plan::TableSizes {
    rows.iter()
        .map(|r| {
            let name = schemareg_engine::QualifiedName::new(r.get::<_, String>(0), r.get::<_, String>(1));
            (
                name,
                schemareg_engine::plan::TableSize {
                    rows: r.get(2),
                    bytes: r.get(3),
                },
            )
        })
        .collect()
}

/// The role this connection acts as, and whether it is a superuser: the role that owns what a
/// plan applied through it creates.
pub async fn applier(client: &Client) -> Result<schemareg_engine::plan::Applier, IntrospectError> {
    let row = client
        .query_one(
            "SELECT current_user::text, coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)",
            &[],
        )
        .await
        .map_err(|e| IntrospectError::Query {
            query: "applier",
            message: crate::pg::error_text(&e),
        })?;
    Ok(schemareg_engine::plan::Applier {
        role: row.get(0),
        superuser: row.get(1),
    })
}

/// Of some roles, those the server the client is connected to does not have.
pub async fn missing_roles(client: &Client, roles: &[String]) -> Result<Vec<String>, IntrospectError> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT r FROM unnest($1::text[]) r WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) ORDER BY 1",
            &[&roles],
        )
        .await
        .map_err(|e| IntrospectError::Query {
            query: "roles",
            message: crate::pg::error_text(&e),
        })?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
