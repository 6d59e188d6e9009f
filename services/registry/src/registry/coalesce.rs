//! One read for many requests: requests that want the same read at once (dashboards polling
//! the overview) share one computation of it instead of each making its own.
//!
//! A request only ever joins a computation that has not started yet, so what it gets was read
//! after it arrived: a client that wrote and then reads sees its write. While one computation
//! runs, the requests arriving wait for the next, which starts when it ends and serves them
//! all.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// The outcome of one computation: shared when it succeeded; a failure is not shared (each
/// request that waited for it tries on its own, and gets its own error).
type Outcome<T> = Result<Arc<T>, ()>;

/// Computations of one read, shared by the requests that wait for them.
pub struct Coalesce<T> {
    /// The computation the next requests join, not started yet.
    next: Mutex<Option<Arc<OnceCell<Outcome<T>>>>>,
    /// Held while a computation runs: one at a time.
    running: tokio::sync::Mutex<()>,
}

impl<T> Default for Coalesce<T> {
    fn default() -> Self {
        Self {
            next: Mutex::new(None),
            running: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T> Coalesce<T> {
    /// The read, computed by `compute` after this call began, by this request or by one that
    /// arrived with it.
    pub async fn read<E, F, Fut>(&self, compute: F) -> Result<Arc<T>, E>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let joined = self
            .next
            .lock()
            .expect("not poisoned")
            .get_or_insert_with(Default::default)
            .clone();
        let _turn = self.running.lock().await;
        if let Some(outcome) = joined.get() {
            return match outcome {
                Ok(shared) => Ok(shared.clone()),
                Err(()) => compute().await.map(Arc::new),
            };
        }
        // Starting now: requests arriving from here on join the computation after this one.
        {
            let mut next = self.next.lock().expect("not poisoned");
            if next.as_ref().is_some_and(|n| Arc::ptr_eq(n, &joined)) {
                *next = None;
            }
        }
        match compute().await {
            Ok(value) => {
                let shared = Arc::new(value);
                let _ = joined.set(Ok(shared.clone()));
                Ok(shared)
            }
            Err(e) => {
                let _ = joined.set(Err(()));
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn requests_at_once_share_a_computation_that_began_after_they_arrived() {
        let coalesce = Arc::new(Coalesce::<usize>::default());
        let computed = Arc::new(AtomicUsize::new(0));
        // The first computation runs until the test lets it end.
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        let compute = |computed: Arc<AtomicUsize>, release: Arc<tokio::sync::Semaphore>| {
            move || {
                let (computed, release) = (computed.clone(), release.clone());
                async move {
                    let n = computed.fetch_add(1, Ordering::SeqCst) + 1;
                    if n == 1 {
                        release.acquire().await.unwrap().forget();
                    }
                    Ok::<_, ()>(n)
                }
            }
        };
        let first = {
            let (c, n, r) = (coalesce.clone(), computed.clone(), release.clone());
            tokio::spawn(async move { *c.read(compute(n, r)).await.unwrap() })
        };
        while computed.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        // Eight arrive while it runs: they join the next computation, not this one.
        let later: Vec<_> = (0..8)
            .map(|_| {
                let (c, n, r) = (coalesce.clone(), computed.clone(), release.clone());
                tokio::spawn(async move { *c.read(compute(n, r)).await.unwrap() })
            })
            .collect();
        let joined = || {
            let next = coalesce.next.lock().unwrap();
            next.as_ref().map_or(0, Arc::strong_count)
        };
        while joined() < 9 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        release.add_permits(1);
        assert_eq!(first.await.unwrap(), 1);
        for l in later {
            assert_eq!(l.await.unwrap(), 2, "a computation begun after they arrived, shared");
        }
        assert_eq!(computed.load(Ordering::SeqCst), 2);
        // Alone, a request computes afresh.
        assert_eq!(*coalesce.read(compute(computed.clone(), release)).await.unwrap(), 3);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_failure_is_not_shared() {
        let coalesce = Coalesce::<usize>::default();
        let failed: Result<_, &str> = coalesce.read(|| async { Err("store unavailable") }).await;
        assert_eq!(failed.unwrap_err(), "store unavailable");
        assert_eq!(*coalesce.read(|| async { Ok::<_, &str>(7) }).await.unwrap(), 7);
    }
}
