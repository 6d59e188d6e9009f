//! Reads `triggers.sql`: user triggers (not internal ones, nor the clones a partition gets from
//! its parent's) with their definition, state and comment, each added to the table or view
//! read by `relations.sql` that it is on.

use schemareg_engine::{Trigger, TriggerEnabled};

use super::{Builder, IntrospectError, Relation, Rows, decode, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "triggers";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows.iter() {
        let Some(i) = b.find(&r, q)? else { continue };
        let enabled: String = get(&r, q, "enabled")?;
        let trigger = Trigger {
            name: get(&r, q, "name")?,
            definition: get(&r, q, "definition")?,
            enabled: decode(q, "trigger state", TriggerEnabled::from_catalog(&enabled))?,
            comment: get(&r, q, "comment")?,
        };
        match &mut b.relations[i] {
            Relation::Table(t) => t.triggers.push(trigger),
            Relation::View(v) => v.triggers.push(trigger),
            _ => {}
        }
    }
    Ok(())
}
