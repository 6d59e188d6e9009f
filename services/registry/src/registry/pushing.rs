//! The pushes this registry is finishing in the background, by id (given up when it stops:
//! `push::give_up_all`).

use std::collections::BTreeSet;
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct Pushing(Mutex<BTreeSet<String>>);

impl Pushing {
    pub fn add(&self, id: &str) {
        self.0.lock().expect("not poisoned").insert(id.to_string());
    }

    pub fn remove(&self, id: &str) {
        self.0.lock().expect("not poisoned").remove(id);
    }

    /// Those still building.
    pub fn ids(&self) -> Vec<String> {
        self.0.lock().expect("not poisoned").iter().cloned().collect()
    }
}
