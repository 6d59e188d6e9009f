//! Reading versions. A version never changes once pushed, so what was read once is kept in
//! memory (bounded by size): its record and its snapshot's JSON text, by service and number,
//! and its number by digest. Only `latest` asks the store each time (another replica may have
//! pushed since).

use std::sync::Arc;

use axum::body::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use schemareg_adapters::store::{Store, Version, VersionRef};

use crate::error::ApiError;

/// A version as kept: its record and its snapshot as stored (JSON text).
pub struct Kept {
    pub version: Version,
    pub snapshot: Bytes,
}

#[derive(Clone)]
struct BySize;

impl Weighter<(String, i64), Arc<Kept>> for BySize {
    fn weight(&self, _: &(String, i64), kept: &Arc<Kept>) -> u64 {
        kept.snapshot.len() as u64 + 512
    }
}

/// The versions read so far, at most `bytes` of them (snapshot text counted).
pub struct VersionCache {
    by_number: Cache<(String, i64), Arc<Kept>, BySize>,
    by_digest: Cache<(String, String), i64>,
}

impl VersionCache {
    pub fn new(bytes: u64) -> Self {
        Self {
            by_number: Cache::with_weighter(1024, bytes, BySize),
            by_digest: Cache::new(4096),
        }
    }
}

impl Default for VersionCache {
    /// 64 MiB of snapshots.
    fn default() -> Self {
        Self::new(64 << 20)
    }
}

/// The version `at` of `service` (404 when the service or the version does not exist).
pub async fn find(store: &Store, cache: &VersionCache, service: &str, at: &VersionRef) -> Result<Arc<Kept>, ApiError> {
    let number = match at {
        VersionRef::Number(n) => Some(*n),
        VersionRef::Digest(d) => cache.by_digest.get(&(service.to_string(), d.clone())),
        VersionRef::Latest => None,
    };
    if let Some(kept) = number.and_then(|n| cache.by_number.get(&(service.to_string(), n))) {
        return Ok(kept);
    }
    store.existing_service(service).await?;
    let version = store.existing_version(service, at).await?;
    let key = (service.to_string(), version.number);
    if let Some(kept) = cache.by_number.get(&key) {
        return Ok(kept);
    }
    let snapshot = Bytes::from(store.snapshot(service, version.number).await?);
    cache
        .by_digest
        .insert((service.to_string(), version.digest.clone()), version.number);
    let kept = Arc::new(Kept { version, snapshot });
    cache.by_number.insert(key, kept.clone());
    Ok(kept)
}
