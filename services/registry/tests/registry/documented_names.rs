//! The README names every audit action and every webhook event the registry has (the store's
//! table of transitions, `AuditAction::ALL` and `EventKind::ALL`), and no other.

use std::collections::BTreeSet;

use schemareg_adapters::store::{AuditAction, EventKind};

use crate::common::repo;

/// The names in backquotes of the README's paragraph that starts with `opening`, up to its
/// first `;` or blank line.
fn listed(readme: &str, opening: &str) -> BTreeSet<String> {
    let start = readme
        .find(opening)
        .unwrap_or_else(|| panic!("the README has no paragraph starting {opening:?}"));
    let rest = &readme[start + opening.len()..];
    let end = [rest.find(";"), rest.find("\n\n")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    rest[..end].split('`').skip(1).step_by(2).map(String::from).collect()
}

#[test]
fn the_readme_lists_every_audit_action_and_webhook_event() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let actions: BTreeSet<String> = AuditAction::ALL.iter().map(|a| a.as_str().to_string()).collect();
    assert_eq!(listed(&readme, "The actions:"), actions, "the README's audit actions");
    let events: BTreeSet<String> = EventKind::ALL.iter().map(|e| e.as_str().to_string()).collect();
    assert_eq!(listed(&readme, "The events:"), events, "the README's webhook events");
}
