//! Ready databases: empty scratch databases kept with their owner's session and lent to runs
//! that leave nothing behind, so that a push does not pay for `CREATE DATABASE` and `DROP
//! DATABASE` (a fifth of a second each).
//!
//! A run in a lent database works inside one transaction ([`Lent::begin`]) and rolls it back
//! ([`Lent::roll_back`]); DDL is transactional in PostgreSQL, so the database is empty again
//! after. Text from a snapshot runs in that transaction as the database's unprivileged owner,
//! and it might end the transaction (`…; COMMIT; CREATE …`): the transaction's id is read when
//! it opens and again before it is rolled back, and a savepoint must still be there; when
//! either differs the database is not lent again but dropped. What a session keeps past a
//! rollback (settings, advisory locks, listeners, cursors, prepared statements) is reset or,
//! for a statement the text prepared, a reason to drop the database too.
//!
//! Each ready database is marked, and an admin session of the server holds a lock on its name
//! while it lives: a registry that was killed leaves them to
//! [`ScratchServer::sweep_templates`].

use tokio_postgres::Client;

use super::{ScratchDatabase, ScratchError, ScratchServer, TEMPLATE_LOCK_CLASS, refused};

/// The comment that marks a ready database.
pub(super) const READY_MARK: &str = "a schemareg ready scratch database; dropped when its registry stops";

/// How many runs a ready database serves before it is dropped and made afresh (rolled-back
/// DDL leaves dead rows in its catalogs for autovacuum to clear).
const USES: u32 = 1000;

/// The savepoint that must still exist when a run ends.
const SAVEPOINT: &str = "SAVEPOINT schemareg_lent";

/// The ready databases a server keeps.
#[derive(Debug, Default)]
pub(super) struct Ready {
    capacity: usize,
    kept: std::sync::Mutex<Vec<Lent>>,
    /// The admin session holding a lock on each ready database's name.
    holder: tokio::sync::Mutex<Option<Client>>,
    /// Set when the registry stops: nothing is kept from then on.
    closing: std::sync::atomic::AtomicBool,
    /// What an empty ready database reads as (they are all alike, and empty again after each
    /// run), read by the first run that needed it.
    pristine: std::sync::OnceLock<std::sync::Arc<schemareg_engine::Snapshot>>,
    /// Held while [`ScratchServer::warm`] makes databases, so that stopping waits for the one
    /// being made instead of leaving it behind.
    warming: tokio::sync::Mutex<()>,
}

/// A ready database lent to a run, with its owner's session; given back with
/// [`ScratchServer::give_back`] (dropped without it, the database is dropped).
#[derive(Debug)]
pub struct Lent {
    /// Closed before the database is dropped.
    client: Client,
    db: ScratchDatabase,
    uses: u32,
    /// The open transaction's id.
    xid: Option<i64>,
    /// Whether nothing done in it outlived a rollback.
    clean: bool,
}

impl Lent {
    /// The owner's session.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The database.
    pub fn database(&self) -> &ScratchDatabase {
        &self.db
    }

    /// Opens the transaction the run's work happens in.
    pub async fn begin(&mut self) -> Result<(), ScratchError> {
        let server = self.db.admin.clone();
        let opened = async {
            self.client.batch_execute("BEGIN").await?;
            let xid: i64 = self.client.query_one("SELECT txid_current()", &[]).await?.get(0);
            self.client.batch_execute(SAVEPOINT).await?;
            Ok::<_, tokio_postgres::Error>(xid)
        }
        .await;
        match opened {
            Ok(xid) => {
                self.xid = Some(xid);
                Ok(())
            }
            Err(e) => {
                self.clean = false;
                Err(refused(&server, "open a transaction", &e))
            }
        }
    }

    /// Rolls back everything since [`Lent::begin`]; notes whether the transaction was still the
    /// one opened (else something the run did may have been committed).
    pub async fn roll_back(&mut self) {
        let Some(xid) = self.xid.take() else { return };
        let same = async {
            self.client
                .batch_execute("ROLLBACK TO SAVEPOINT schemareg_lent")
                .await?;
            let now: i64 = self.client.query_one("SELECT txid_current()", &[]).await?.get(0);
            Ok::<_, tokio_postgres::Error>(now == xid)
        }
        .await;
        let rolled_back = self.client.batch_execute("ROLLBACK").await;
        if !matches!(same, Ok(true)) || rolled_back.is_err() {
            tracing::debug!(database = %self.db.name, "a run left its transaction: the ready database is dropped");
            self.clean = false;
        }
    }

    /// Resets what a session keeps past a rollback; whether the database can be lent again.
    async fn reset(&mut self) -> bool {
        if !self.clean || self.xid.is_some() || self.uses >= USES || self.client.is_closed() {
            return false;
        }
        let reset = async {
            self.client
                .batch_execute(
                    "RESET ROLE; RESET ALL; CLOSE ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES",
                )
                .await?;
            let prepared: i64 = self
                .client
                .query_one("SELECT count(*) FROM pg_prepared_statements WHERE from_sql", &[])
                .await?
                .get(0);
            Ok::<_, tokio_postgres::Error>(prepared == 0)
        }
        .await;
        self.client.clear_type_cache();
        matches!(reset, Ok(true))
    }
}

impl ScratchServer {
    /// Keeps up to `capacity` ready databases (0, the default: none, and every run makes and
    /// drops a database of its own).
    pub fn with_ready(mut self, capacity: usize) -> Self {
        self.ready.capacity = capacity;
        self
    }

    pub(super) fn ready_capacity(&self) -> usize {
        self.ready.capacity
    }

    /// What an empty ready database reads as, once a run has read it.
    pub fn pristine(&self) -> Option<std::sync::Arc<schemareg_engine::Snapshot>> {
        self.ready.pristine.get().cloned()
    }

    /// Remembers what an empty ready database reads as.
    pub fn keep_pristine(&self, read: schemareg_engine::Snapshot) {
        let _ = self.ready.pristine.set(std::sync::Arc::new(read));
    }

    /// Whether ready databases are kept.
    pub fn keeps_ready(&self) -> bool {
        self.ready.capacity > 0
    }

    /// A ready database: one kept, or made now.
    pub async fn lend(&self) -> Result<Lent, ScratchError> {
        loop {
            let kept = self.ready.kept.lock().expect("the ready list is never poisoned").pop();
            match kept {
                // Its session ended (the server restarted, an administrator ended it): dropped.
                Some(lent) if lent.client.is_closed() => self.drop_ready(lent).await,
                Some(mut lent) => {
                    lent.uses += 1;
                    return Ok(lent);
                }
                None => return self.make_ready().await,
            }
        }
    }

    /// Takes a lent database back: kept for the next run when its run left nothing behind and
    /// there is room, else dropped.
    pub async fn give_back(&self, mut lent: Lent) {
        lent.roll_back().await;
        if !self.ready.closing.load(std::sync::atomic::Ordering::SeqCst) && lent.reset().await {
            let mut kept = self.ready.kept.lock().expect("the ready list is never poisoned");
            if kept.len() < self.ready.capacity {
                kept.push(lent);
                return;
            }
        }
        self.drop_ready(lent).await;
    }

    /// Makes the ready databases up to the capacity (at start, so that the first pushes find
    /// them).
    pub async fn warm(&self) -> Result<(), ScratchError> {
        let _warming = self.ready.warming.lock().await;
        let missing = {
            let kept = self.ready.kept.lock().expect("the ready list is never poisoned");
            self.ready.capacity.saturating_sub(kept.len())
        };
        for _ in 0..missing {
            if self.ready.closing.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            let lent = self.make_ready().await?;
            self.give_back(lent).await;
        }
        Ok(())
    }

    /// Drops the ready databases (when the registry stops); those lent at that moment are
    /// dropped when they are given back, and warming stops after the database it is making.
    pub async fn drop_ready_databases(&self) {
        self.ready.closing.store(true, std::sync::atomic::Ordering::SeqCst);
        let _warming = self.ready.warming.lock().await;
        let kept = std::mem::take(&mut *self.ready.kept.lock().expect("the ready list is never poisoned"));
        for lent in kept {
            self.drop_ready(lent).await;
        }
        *self.ready.holder.lock().await = None;
    }

    async fn make_ready(&self) -> Result<Lent, ScratchError> {
        let name = format!("{}ready_{}", self.prefix, crate::random_hex(8));
        self.hold(&name, true).await?;
        let made = async {
            let db = self.create_named(name.clone()).await?;
            // By its owner (an admin that is not a superuser may not comment on it). The name
            // is generated here (hex), never user text.
            let client = db.connect().await?;
            client
                .batch_execute(&format!("COMMENT ON DATABASE {name} IS '{READY_MARK}'"))
                .await
                .map_err(|e| refused(&self.admin, "mark a ready database", &e))?;
            Ok::<_, ScratchError>(Lent {
                client,
                db,
                uses: 1,
                xid: None,
                clean: true,
            })
        }
        .await;
        if made.is_err() {
            let _ = self.hold(&name, false).await;
        }
        made
    }

    async fn drop_ready(&self, lent: Lent) {
        let Lent { client, db, .. } = lent;
        drop(client);
        let name = db.name.clone();
        if let Err(e) = db.drop_now().await {
            tracing::warn!(error = %e, "could not drop a ready scratch database");
        }
        let _ = self.hold(&name, false).await;
    }

    /// Takes (or gives back) the lock on a ready database's name, on the holder session.
    async fn hold(&self, name: &str, take: bool) -> Result<(), ScratchError> {
        let mut holder = self.ready.holder.lock().await;
        if holder.as_ref().is_none_or(Client::is_closed) {
            if !take {
                return Ok(());
            }
            *holder = Some(self.admin.connect().await?);
        }
        let client = holder.as_ref().expect("just connected");
        let query = match take {
            true => "SELECT pg_advisory_lock($1, hashtext($2))",
            false => "SELECT pg_advisory_unlock($1, hashtext($2))",
        };
        client
            .query_one(query, &[&TEMPLATE_LOCK_CLASS, &name])
            .await
            .map_err(|e| refused(&self.admin, "lock a ready database's name", &e))?;
        Ok(())
    }
}
