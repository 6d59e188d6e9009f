//! The bindings whose drift checks could not run when due, for want of a connection.

use std::collections::HashMap;
use std::sync::Mutex;

use schemareg_adapters::store::Binding;

/// A binding: (service, environment).
pub type Key = (String, String);

pub fn key(b: &Binding) -> Key {
    (b.service.clone(), b.environment.clone())
}

/// The bindings whose checks this registry could not run when due, for want of a place in
/// their server's connection budget: since when (RFC 3339), until a check runs.
#[derive(Default)]
pub struct Delayed {
    since: Mutex<HashMap<Key, String>>,
}

impl Delayed {
    /// A check of `b` was due and got no connection in time.
    pub fn delayed(&self, b: &Binding) {
        self.since
            .lock()
            .expect("not poisoned")
            .entry(key(b))
            .or_insert_with(schemareg_adapters::store::now);
    }

    /// A check of `b` ran.
    pub fn settled(&self, b: &Binding) {
        self.since.lock().expect("not poisoned").remove(&key(b));
    }

    /// Every delayed binding, by (service, environment): since when.
    pub fn all(&self) -> HashMap<Key, String> {
        self.since.lock().expect("not poisoned").clone()
    }
}
