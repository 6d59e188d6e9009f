//! Diff: two snapshots in, typed changes out. One module per object kind.
//!
//! The diff is pure and linear in the size of the schemas: objects are matched by their keys
//! in ordered maps. Order of the result follows the kinds and names; the plan orders it.

mod change;
mod column;
mod default_privileges;
mod dependents;
mod enums;
mod function;
pub(crate) mod grants;
pub(crate) mod owners;
pub(crate) mod renames;
mod table;
mod types;
mod view;

pub use change::*;

use std::collections::BTreeMap;

use crate::model::*;

/// Objects matched by key: only in FROM, only in TO, in both.
pub(crate) struct Matched<'a, T> {
    pub removed: Vec<&'a T>,
    pub added: Vec<&'a T>,
    pub both: Vec<(&'a T, &'a T)>,
}

pub(crate) fn match_by<'a, T, K: Ord>(from: &'a [T], to: &'a [T], key: impl Fn(&T) -> K) -> Matched<'a, T> {
    let mut f: BTreeMap<K, &T> = from.iter().map(|x| (key(x), x)).collect();
    let mut m = Matched {
        removed: Vec::new(),
        added: Vec::new(),
        both: Vec::new(),
    };
    for t in to {
        match f.remove(&key(t)) {
            Some(x) => m.both.push((x, t)),
            None => m.added.push(t),
        }
    }
    m.removed = f.into_values().collect();
    m
}

pub(crate) fn comment_change(out: &mut Vec<Change>, target: CommentTarget, from: &Option<String>, to: &Option<String>) {
    if from != to {
        out.push(Change::SetComment {
            target,
            from: from.clone(),
            to: to.clone(),
        });
    }
}

/// The changes that take FROM to TO.
pub fn diff(from: &Snapshot, to: &Snapshot) -> Vec<Change> {
    let (mut out, from) = renames::apply(from, to);
    let from = from.as_ref();
    types::schemas(&mut out, from, to);
    types::extensions(&mut out, from, to);
    enums::diff(&mut out, from, to);
    types::domains(&mut out, from, to);
    types::collations(&mut out, from, to);
    types::composites(&mut out, from, to);
    types::sequences(&mut out, from, to);
    function::diff(&mut out, from, to);
    table::diff(&mut out, from, to);
    view::diff(&mut out, from, to);
    dependents::recreate(&mut out, from, to);
    grants::diff(&mut out, from, to);
    default_privileges::diff(&mut out, from, to);
    owners::diff(&mut out, from, to);
    out
}
