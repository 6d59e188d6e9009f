//! Settled snapshots: every expression as PostgreSQL prints it once it has read its own
//! printing back.
//!
//! PostgreSQL's deparser is not idempotent. `CHECK (status IN ('a', 'b'))` on a `varchar`
//! column is printed `((status)::text = ANY ((ARRAY['a'::character varying, …])::text[]))`;
//! run that text and it is printed `((status)::text = ANY (ARRAY[('a'::character varying)::text,
//! …]))`. A plan can only ever write the printed text, so a version holding the first printing
//! would be re-planned forever, and a live database written from the original DDL elsewhere
//! (by Alembic, say) would differ from a version settled here although both hold the same
//! constraint. A settled snapshot is the fixpoint: rebuilt in a scratch database and read back
//! until it no longer changes. Versions are settled when they are pushed; a live database is
//! settled when its differences from a version include redefinitions (the only changes a
//! printing can cause), so that both sides are compared as PostgreSQL prints them.

use std::sync::Arc;

use schemareg_engine::diff::{Change, diff, redefinitions};
use schemareg_engine::plan::{PlanOptions, plan_changes};
use schemareg_engine::{Scope, Snapshot, digest};

use super::{VerifyError, rebuild};
use crate::scratch::ScratchServer;

/// How many rebuilds a snapshot may take to settle (one is the rule; PostgreSQL's printing
/// settles after at most one more).
const ROUNDS: usize = 3;

/// The snapshot (already spelled by PostgreSQL: ingested, introspected or rebuilt once),
/// settled. Rebuilding may only change how objects are printed, never which objects there
/// are: anything else is a snapshot the rebuild does not reproduce, and an error.
pub async fn settle(scratch: &ScratchServer, scope: &Scope, snapshot: Snapshot) -> Result<Snapshot, VerifyError> {
    let key = digest(&snapshot);
    if let Some(done) = scratch.settled(&key) {
        return Ok((*done).clone());
    }
    let mut current = snapshot;
    for _ in 0..ROUNDS {
        let again = rebuild(scratch, scope, &current).await?;
        let changes = diff(&current, &again);
        if changes.is_empty() {
            let done = Arc::new(current);
            scratch.keep_settled(&key, done.clone());
            scratch.keep_settled(&digest(&done), done.clone());
            return Ok(Arc::unwrap_or_clone(done));
        }
        let redefined = redefinitions(&changes);
        let others: Vec<Change> = changes
            .iter()
            .zip(&redefined)
            .filter(|(_, r)| !**r)
            .map(|(c, _)| c.clone())
            .collect();
        if !others.is_empty() {
            let steps = plan_changes(&current, &again, &others, &PlanOptions::default()).steps;
            let said: Vec<String> = steps.into_iter().map(|s| s.description).collect();
            return Err(VerifyError::RebuildDiffers(said.join("; ")));
        }
        tracing::debug!(changes = changes.len(), "printed differently once read back: settling");
        current = again;
    }
    Err(VerifyError::Unsettled(ROUNDS))
}

/// A snapshot given as JSON, spelled by PostgreSQL and settled. It is rebuilt once; when that
/// rebuild reads back as what was given, what was given is already the fixpoint (a snapshot
/// the registry or `schemareg snapshot` wrote, the usual case) and the one rebuild is all it
/// takes: [`settle`] would rebuild it again only to find it unchanged.
pub async fn spell_and_settle(
    scratch: &ScratchServer,
    scope: &Scope,
    given: &Snapshot,
) -> Result<Snapshot, VerifyError> {
    let spelled = rebuild(scratch, scope, given).await?;
    if diff(given, &spelled).is_empty() {
        let done = Arc::new(spelled);
        scratch.keep_settled(&digest(&done), done.clone());
        return Ok(Arc::unwrap_or_clone(done));
    }
    settle(scratch, scope, spelled).await
}
