//! The scratch server's connection budget: every connection to it (the admin's, each scratch
//! database owner's, the sessions holding role and template locks, the ready databases')
//! counts against `connections`, and runs (a push's build, a plan's verification) are let in
//! only as many at once as the budget can serve, so that none waits for a connection another
//! run holds while it waits too.
//!
//! A server keeps some connections for as long as it lives: one per template (its lock
//! session), one per ready database (its owner's session) and one holding the ready
//! databases' names; one more is left for health checks and sweeps. A run holds at most [`PER_RUN`] more at once (its database's owner, the
//! session leasing the roles it names, the admin's connection to its database).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{ScratchError, ScratchServer};
use crate::pg::{Budget, Counts};

/// The most connections one run holds at once.
pub const PER_RUN: usize = 3;

/// How many runs are let in at once, and the budget their connections count against.
#[derive(Debug)]
pub(super) struct Admission {
    runs: Arc<Semaphore>,
    budget: Arc<Budget>,
}

impl ScratchServer {
    /// The connections kept for as long as the server lives (with the templates and ready
    /// databases it is set to keep), and one for health checks and sweeps.
    pub fn kept_connections(&self) -> usize {
        self.templates.capacity + self.ready_capacity() + 2
    }

    /// Counts every connection to the server against `connections`, and lets in as many runs
    /// at once as the rest serves ([`PER_RUN`] each); a run waits for its turn at most `wait`.
    /// Set after the templates and ready databases.
    pub fn with_budget(mut self, connections: usize, wait: Duration) -> Result<Self, ScratchError> {
        let kept = self.kept_connections();
        if connections < kept + PER_RUN {
            return Err(ScratchError::Budget {
                connections,
                least: kept + PER_RUN,
            });
        }
        let budget = Budget::new(connections, connections, wait);
        self.admin = self.admin.clone().with_budget(budget.clone());
        self.admission = Some(Admission {
            runs: Arc::new(Semaphore::new((connections - kept) / PER_RUN)),
            budget,
        });
        Ok(self)
    }

    /// Lets a run in (waiting for its turn): held for as long as it runs. Without a budget,
    /// every run is let in at once.
    pub async fn admit(&self) -> Result<Option<OwnedSemaphorePermit>, ScratchError> {
        let Some(admission) = &self.admission else {
            return Ok(None);
        };
        let wait = admission.budget.wait();
        match tokio::time::timeout(wait, admission.runs.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Some(permit)),
            Ok(Err(_)) | Err(_) => Err(ScratchError::Busy { waited: wait }),
        }
    }

    /// The connections counted against the budget (none without one).
    pub fn connection_counts(&self) -> Option<Counts> {
        let admission = self.admission.as_ref()?;
        Some(
            admission
                .budget
                .counts()
                .into_values()
                .fold(Counts::default(), |all, c| Counts {
                    open: all.open + c.open,
                    idle: all.idle + c.idle,
                    peak: all.peak.max(c.peak),
                    waiting: all.waiting + c.waiting,
                    waits: all.waits + c.waits,
                    timeouts: all.timeouts + c.timeouts,
                }),
        )
    }
}
