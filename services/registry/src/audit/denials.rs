//! Denials of requests without a valid token, counted per address and minute.

/// Denials of requests without a valid token, by address: the entry of this minute and how
/// many came since it was last written. A flood costs the store one write per address and
/// second, not one per request.
#[derive(Default)]
pub struct Denials {
    pending: std::sync::Mutex<std::collections::HashMap<String, Pending>>,
}

struct Pending {
    minute: String,
    seq: i64,
    unsaved: i64,
    saved: std::time::Instant,
}

/// How often a flood's count is written to its entry.
pub const SAVE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl Denials {
    /// Counts a denial in the entry of `address` for `minute` when there is one here: the
    /// count to write now (none when it waits for the next second), or `None` when there is
    /// no entry yet.
    pub fn count(&self, address: &str, minute: &str) -> Option<Option<(i64, i64)>> {
        let mut pending = self.pending.lock().expect("never poisoned");
        let p = pending.get_mut(address).filter(|p| p.minute == minute)?;
        p.unsaved += 1;
        if p.saved.elapsed() < SAVE_EVERY {
            return Some(None);
        }
        p.saved = std::time::Instant::now();
        Some(Some((p.seq, std::mem::take(&mut p.unsaved))))
    }

    /// The entry of `address` for `minute` was written as `seq`: later denials are counted in it.
    pub fn started(&self, address: String, minute: String, seq: i64) {
        let pending = Pending {
            minute,
            seq,
            unsaved: 0,
            saved: std::time::Instant::now(),
        };
        self.pending.lock().expect("never poisoned").insert(address, pending);
    }

    /// The counts not written yet; entries of past minutes are let go.
    pub fn take_unsaved(&self, minute: &str) -> Vec<(i64, i64)> {
        let mut pending = self.pending.lock().expect("never poisoned");
        let out = pending
            .values_mut()
            .filter(|p| p.unsaved > 0)
            .map(|p| {
                p.saved = std::time::Instant::now();
                (p.seq, std::mem::take(&mut p.unsaved))
            })
            .collect();
        pending.retain(|_, p| p.minute.as_str() >= minute);
        out
    }
}
