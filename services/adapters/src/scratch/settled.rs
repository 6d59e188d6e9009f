//! Snapshots already settled on this server (see `verify::settle`), by digest: a drift check
//! or a plan that compares the same live schema again does not rebuild it again.

use std::sync::{Arc, Mutex};

use schemareg_engine::Snapshot;

/// How many settled snapshots are kept.
const CAPACITY: usize = 8;

/// The settled snapshots, most recently used last.
#[derive(Debug, Default)]
pub(super) struct Settled {
    kept: Mutex<Vec<(String, Arc<Snapshot>)>>,
}

impl Settled {
    pub fn get(&self, digest: &str) -> Option<Arc<Snapshot>> {
        let mut kept = self.kept.lock().expect("the settled list is never poisoned");
        let i = kept.iter().position(|(k, _)| k == digest)?;
        let entry = kept.remove(i);
        let found = entry.1.clone();
        kept.push(entry);
        Some(found)
    }

    pub fn keep(&self, digest: &str, snapshot: Arc<Snapshot>) {
        let mut kept = self.kept.lock().expect("the settled list is never poisoned");
        kept.retain(|(k, _)| k != digest);
        kept.push((digest.to_string(), snapshot));
        let excess = kept.len().saturating_sub(CAPACITY);
        kept.drain(..excess);
    }
}
