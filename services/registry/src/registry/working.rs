//! The plans this registry works on (computing or applying), whose leases it renews.

/// The plans this registry is working on, so that it can give their leases back when it
/// stops.
#[derive(Default)]
pub struct Working(
    std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// Set once the leases are given back: no work renews its lease after that.
    std::sync::atomic::AtomicBool,
);

impl Working {
    /// Marks `plan_id` worked on until what this returns is dropped.
    #[must_use = "the plan is worked on while this lives"]
    pub fn hold<'a>(&'a self, plan_id: &'a str) -> Held<'a> {
        self.set(plan_id, true);
        Held(self, plan_id)
    }

    /// No work renews its lease after this (the registry is stopping).
    pub fn give_back(&self) {
        self.1.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn given_back(&self) -> bool {
        self.1.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn set(&self, plan_id: &str, on: bool) {
        let mut ids = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if on {
            ids.insert(plan_id.to_string());
        } else {
            ids.remove(plan_id);
        }
    }

    pub fn ids(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

/// Marks a plan worked on while it lives.
pub struct Held<'a>(&'a Working, &'a str);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.set(self.1, false);
    }
}
