//! The one way from two schemas to a plan, for every caller (a plan the registry computes, a
//! drift check, `schemareg diff`): the two made comparable (settled when their differences
//! include redefinitions), compared once (renames made once), the sizes of the tables the plan
//! looks up read from the live database FROM is, and the plan made.
//!
//! What a plan should know of the live database is added here, once.

use std::future::Future;

use schemareg_engine::diff::{Comparison, redefinitions};
use schemareg_engine::plan::{Plan, PlanOptions, plan_compared};
use schemareg_engine::{Scope, Snapshot};

use crate::introspect::{IntrospectError, read_plan_sizes};
use crate::pg::Client;
use crate::scratch::{ScratchError, ScratchServer};

/// Where a scratch server comes from when settling needs one: a server at hand, or one made
/// on first use (the CLI starts a private cluster only when it needs one).
pub trait Scratch: Sync {
    fn server(&self) -> impl Future<Output = Result<&ScratchServer, ScratchError>> + Send;
}

impl Scratch for ScratchServer {
    async fn server(&self) -> Result<&ScratchServer, ScratchError> {
        Ok(self)
    }
}

/// FROM and TO made ready to compare, and compared: settled when their differences include
/// redefinitions (a default, a check, an index, a view, … that may only be printed
/// differently), so both are compared as PostgreSQL prints them. When settling cannot be done
/// (no scratch server, a side PostgreSQL cannot rebuild) they are compared as read, and the
/// reason comes back as a warning: verification, which rebuilds both, then says what is wrong.
pub async fn comparable(
    scratch: &impl Scratch,
    scope: &Scope,
    from: Snapshot,
    to: Snapshot,
) -> (Comparison, Option<String>) {
    let compared = Comparison::new(from, to);
    if !redefinitions(&compared.changes).contains(&true) {
        return (compared, None);
    }
    let settled = async {
        let server = scratch.server().await.map_err(|e| e.to_string())?;
        tokio::try_join!(
            crate::verify::settle(server, scope, compared.from.clone()),
            crate::verify::settle(server, scope, compared.to.clone()),
        )
        .map_err(|e| e.to_string())
    };
    match settled.await {
        Ok((from, to)) => (Comparison::new(from, to), None),
        Err(e) => (
            compared,
            Some(format!(
                "cannot compare as PostgreSQL prints both sides ({e}): compared as read"
            )),
        ),
    }
}

/// A plan, and what it was made from.
pub struct Planned {
    /// FROM and TO as compared (settled where that was needed) and the changes between them.
    pub compared: Comparison,
    pub plan: Plan,
    /// Why the two could not be settled, when they could not.
    pub warning: Option<String>,
}

/// The plan that takes FROM to TO. `live`: a connection to the database FROM was read from,
/// when it is one: the sizes of the tables the plan looks up are read there (its hazards then
/// say how big what they rewrite is).
pub async fn plan_live(
    scratch: &impl Scratch,
    scope: &Scope,
    live: Option<&Client>,
    from: Snapshot,
    to: Snapshot,
    mut options: PlanOptions,
) -> Result<Planned, IntrospectError> {
    let (compared, warning) = comparable(scratch, scope, from, to).await;
    if let Some(client) = live.filter(|_| !compared.is_empty()) {
        read_plan_sizes(client, &compared, &mut options).await?;
    }
    let plan = plan_compared(&compared, &options);
    Ok(Planned {
        compared,
        plan,
        warning,
    })
}
