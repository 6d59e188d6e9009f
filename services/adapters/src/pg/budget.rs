//! Connections counted against a budget: at most `per_server` open to one database server
//! (`host:port`, as the URLs name it) and at most `total` for the process, whoever opens
//! them. A [`super::Target`] given a budget takes a place in it for every connection it opens,
//! and the connection gives it back when it closes. A caller that would pass the budget waits
//! (at most the budget's `wait`) for a place; connections kept idle for reuse
//! ([`Budget::pooled`]) give theirs up to a caller that waits.
//!
//! So that the registry never holds more of an application's server than it was given, and
//! its own work waits in line instead of failing with "too many clients".

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio_postgres::Client;

/// How long a connection kept for reuse may take to roll back what a caller left open.
const RESET_WITHIN: Duration = Duration::from_secs(5);

/// A budget of connections (see the module's documentation).
pub struct Budget {
    per_server: usize,
    total: usize,
    wait: Duration,
    inner: Mutex<Inner>,
    /// Told whenever a place is given back or a connection is kept for reuse.
    freed: Notify,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("per_server", &self.per_server)
            .field("total", &self.total)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Inner {
    servers: BTreeMap<String, Counts>,
    open: usize,
    /// Connections kept for reuse, oldest first.
    idle: Vec<Idle>,
}

/// What a budget counted for one server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Connections open now.
    pub open: usize,
    /// Of those, kept idle for reuse.
    pub idle: usize,
    /// The most ever open at once.
    pub peak: usize,
    /// Callers waiting for a place now.
    pub waiting: usize,
    /// Callers that had to wait for a place, ever.
    pub waits: u64,
    /// Callers that waited the whole `wait` and got none, ever.
    pub timeouts: u64,
}

/// A connection kept for reuse, with what it connects to.
struct Idle {
    key: [u8; 32],
    server: String,
    client: Client,
    since: Instant,
}

/// No place within the budget's wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoPlace {
    pub server: String,
    pub waited: Duration,
}

/// A place in the budget, held by an open connection's task; given back when it closes.
pub(crate) struct Place {
    budget: Arc<Budget>,
    server: String,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.budget.give_back(&self.server);
    }
}

/// What a caller got: a connection kept for reuse, or a place to open one in.
enum Got {
    Kept(Client),
    Place(Place),
}

impl Budget {
    /// At most `per_server` connections to one server and `total` in all (each at least 1);
    /// a caller waits at most `wait` for a place.
    pub fn new(per_server: usize, total: usize, wait: Duration) -> Arc<Self> {
        Arc::new(Self {
            per_server: per_server.max(1),
            total: total.max(1),
            wait,
            inner: Mutex::default(),
            freed: Notify::new(),
        })
    }

    pub fn per_server(&self) -> usize {
        self.per_server
    }

    pub fn total(&self) -> usize {
        self.total
    }

    /// How long a caller waits for a place at most.
    pub fn wait(&self) -> Duration {
        self.wait
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Nothing panics while holding it; a poisoned lock still holds consistent counts.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What was counted, per server (in order of their names).
    pub fn counts(&self) -> BTreeMap<String, Counts> {
        let inner = self.inner();
        let mut counts = inner.servers.clone();
        for idle in &inner.idle {
            if let Some(c) = counts.get_mut(&idle.server) {
                c.idle += 1;
            }
        }
        counts
    }

    /// Connections open now, in all.
    pub fn open(&self) -> usize {
        self.inner().open
    }

    /// A place to open a connection to `server` in, waiting for one when the budget is full.
    pub(crate) async fn place(self: &Arc<Self>, server: &str) -> Result<Place, NoPlace> {
        match self.get(server, None, self.wait).await? {
            Got::Place(place) => Ok(place),
            Got::Kept(_) => unreachable!("no kept connection is asked for without a key"),
        }
    }

    /// A kept connection with `key` (what it connects to), else a place; waits at most the
    /// budget's wait. Kept connections of others give up their places to it: of the same
    /// server when that server is full, of any server when the process is.
    async fn get(self: &Arc<Self>, server: &str, key: Option<[u8; 32]>, wait: Duration) -> Result<Got, NoPlace> {
        let started = Instant::now();
        let deadline = started + wait;
        let mut waiting = false;
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            let closed = {
                let mut inner = self.inner();
                if let Some(key) = key
                    && let Some(i) = inner.idle.iter().rposition(|k| k.key == key)
                {
                    let kept = inner.idle.remove(i);
                    if waiting {
                        inner.servers.entry(server.to_string()).or_default().waiting -= 1;
                    }
                    return Ok(Got::Kept(kept.client));
                }
                let total_full = inner.open >= self.total;
                let counts = inner.servers.entry(server.to_string()).or_default();
                let server_full = counts.open >= self.per_server;
                if !server_full && !total_full {
                    counts.open += 1;
                    counts.peak = counts.peak.max(counts.open);
                    if waiting {
                        counts.waiting -= 1;
                    }
                    inner.open += 1;
                    return Ok(Got::Place(Place {
                        budget: self.clone(),
                        server: server.to_string(),
                    }));
                }
                if !waiting {
                    waiting = true;
                    counts.waiting += 1;
                    counts.waits += 1;
                }
                // The oldest kept connection that holds a place this caller needs: closed,
                // its place comes back (and this caller is told) when its task ends.
                let oldest = inner
                    .idle
                    .iter()
                    .position(|k| if server_full { k.server == server } else { true });
                oldest.map(|i| inner.idle.remove(i))
            };
            drop(closed);
            if tokio::time::timeout_at(deadline.into(), freed).await.is_err() {
                let mut inner = self.inner();
                let counts = inner.servers.entry(server.to_string()).or_default();
                counts.waiting -= 1;
                counts.timeouts += 1;
                return Err(NoPlace {
                    server: server.to_string(),
                    waited: started.elapsed(),
                });
            }
        }
    }

    fn give_back(&self, server: &str) {
        {
            let mut inner = self.inner();
            inner.open = inner.open.saturating_sub(1);
            if let Some(c) = inner.servers.get_mut(server) {
                c.open = c.open.saturating_sub(1);
            }
        }
        self.freed.notify_waiters();
    }

    fn keep(&self, idle: Idle) {
        self.inner().idle.push(idle);
        self.freed.notify_waiters();
    }

    /// Closes the kept connections idle for `idle` or longer; how many were closed.
    pub fn close_idle(&self, idle: Duration) -> usize {
        let closed: Vec<Idle> = {
            let mut inner = self.inner();
            let (old, young) = std::mem::take(&mut inner.idle)
                .into_iter()
                .partition(|k| k.since.elapsed() >= idle);
            inner.idle = young;
            old
        };
        closed.len()
    }

    /// Closes the kept connections to the URL whose digest is `key` (it is no longer used).
    pub fn close_idle_of(&self, key: [u8; 32]) -> usize {
        self.close_idle_unless(|k| *k != key)
    }

    /// Closes the kept connections whose URL's digest `keep` refuses; how many were closed.
    pub fn close_idle_unless(&self, keep: impl Fn(&[u8; 32]) -> bool) -> usize {
        let closed: Vec<Idle> = {
            let mut inner = self.inner();
            let (kept, old) = std::mem::take(&mut inner.idle).into_iter().partition(|k| keep(&k.key));
            inner.idle = kept;
            old
        };
        closed.len()
    }

    /// A connection to `target` (whose URL's digest is `key`): one kept for reuse, rolled
    /// back first, else a new one; given back for reuse when the [`Pooled`] is dropped. Waits
    /// for a place at most `within` (else the budget's wait).
    pub async fn pooled(
        self: &Arc<Self>,
        target: &super::Target,
        key: [u8; 32],
        within: Option<Duration>,
    ) -> Result<Pooled, super::ConnectError> {
        let target = target.clone().with_budget(self.clone());
        let server = target.server();
        loop {
            let client = match self.get(&server, Some(key), within.unwrap_or(self.wait)).await {
                Ok(Got::Kept(client)) => {
                    // A caller cut short (a timeout) may have left a transaction open.
                    let reset = tokio::time::timeout(RESET_WITHIN, client.batch_execute("ROLLBACK")).await;
                    if !matches!(reset, Ok(Ok(()))) || client.is_closed() {
                        continue;
                    }
                    client
                }
                Ok(Got::Place(place)) => target.connect_in(place).await?,
                Err(no) => return Err(target.no_place(&no)),
            };
            return Ok(Pooled {
                client: Some(client),
                key,
                server,
                budget: self.clone(),
            });
        }
    }
}

/// A connection from [`Budget::pooled`]: kept for reuse when dropped (unless it closed).
pub struct Pooled {
    client: Option<Client>,
    key: [u8; 32],
    server: String,
    budget: Arc<Budget>,
}

impl std::ops::Deref for Pooled {
    type Target = Client;

    fn deref(&self) -> &Client {
        self.client.as_ref().expect("held until dropped")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && !client.is_closed()
        {
            self.budget.keep(Idle {
                key: self.key,
                server: std::mem::take(&mut self.server),
                client,
                since: Instant::now(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn places_are_counted_per_server_and_in_all_and_given_back() {
        let budget = Budget::new(2, 3, Duration::from_millis(50));
        let a1 = budget.place("a:5432").await.unwrap();
        let _a2 = budget.place("a:5432").await.unwrap();
        // The server is full: a third waits, then gets none.
        let no = budget.place("a:5432").await.err().unwrap();
        assert_eq!(no.server, "a:5432");
        assert!(no.waited >= Duration::from_millis(50));
        let _b1 = budget.place("b:5432").await.unwrap();
        // The process is full.
        assert!(budget.place("c:5432").await.is_err());
        assert_eq!(budget.open(), 3);
        drop(a1);
        assert_eq!(budget.open(), 2);
        let _c1 = budget.place("c:5432").await.unwrap();
        let a = &budget.counts()["a:5432"];
        assert_eq!((a.open, a.peak, a.waits, a.timeouts, a.waiting), (1, 2, 1, 1, 0));
    }

    #[tokio::test]
    async fn a_waiting_caller_gets_the_place_given_back() {
        let budget = Budget::new(1, 10, Duration::from_secs(5));
        let held = budget.place("a:1").await.unwrap();
        let waiter = {
            let budget = budget.clone();
            tokio::spawn(async move { budget.place("a:1").await.map(|_| ()) })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(budget.counts()["a:1"].waiting, 1);
        drop(held);
        waiter.await.unwrap().unwrap();
        assert_eq!(budget.counts()["a:1"].waiting, 0);
    }
}
