//! A plan's steps as the plan page and the diff between versions show them: the SQL, hazards,
//! lock, transaction grouping and rollback of each, in order.

use maud::{Markup, html};
use schemareg_engine::plan::{Lock, Step};

fn lock_name(lock: &Lock) -> String {
    serde_json::to_value(lock)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

/// The steps in order (or that there is nothing to do).
pub fn list(steps: &[Step]) -> Markup {
    html! {
        @if steps.is_empty() { p { "Nothing to do: both sides are the same." } }
        ol.steps {
            @for step in steps {
                li {
                    h3 { (step.description) }
                    p {
                        "Lock: " (lock_name(&step.lock))
                        " · " @if step.transactional { "in the group's transaction" } @else { "outside a transaction" }
                        @if step.commit_after { " · commits after this step" }
                    }
                    @if !step.hazards.is_empty() {
                        ul.hazards {
                            @for h in &step.hazards {
                                li.hazard { "⚠ " (h.kind.as_str()) ": " (h.message) }
                            }
                        }
                    }
                    pre { code { (step.sql) } }
                    @if let Some(r) = &step.rollback_sql {
                        details { summary { "Rollback" } pre { code { (r) } } }
                    }
                    @if let Some(n) = &step.rollback_note { p { "Rollback note: " (n) } }
                }
            }
        }
    }
}
