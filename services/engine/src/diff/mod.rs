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

/// Two schemas compared once: FROM, TO, the changes that take FROM to TO, and FROM with TO's
/// declared renames made (its tables and columns under the names they will have), which is
/// what plans are made against. Renames are applied here and nowhere else.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub from: Snapshot,
    pub to: Snapshot,
    pub changes: Vec<Change>,
    /// FROM with the renames made, when TO declares any that apply.
    renamed: Option<Snapshot>,
}

impl Comparison {
    /// Compares FROM with TO.
    pub fn new(from: Snapshot, to: Snapshot) -> Self {
        let (changes, renamed) = diffed(&from, &to);
        let renamed = match renamed {
            std::borrow::Cow::Owned(s) => Some(s),
            std::borrow::Cow::Borrowed(_) => None,
        };
        Self {
            from,
            to,
            changes,
            renamed,
        }
    }

    /// FROM as it is once TO's declared renames are made.
    pub fn renamed_from(&self) -> &Snapshot {
        self.renamed.as_ref().unwrap_or(&self.from)
    }

    /// Whether FROM and TO do not differ.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// The changes that take FROM to TO.
pub fn diff(from: &Snapshot, to: &Snapshot) -> Vec<Change> {
    diffed(from, to).0
}

/// The changes that take FROM to TO, and FROM with TO's declared renames made.
pub(crate) fn diffed<'a>(from: &'a Snapshot, to: &Snapshot) -> (Vec<Change>, std::borrow::Cow<'a, Snapshot>) {
    let (mut out, renamed) = renames::apply(from, to);
    let from = renamed.as_ref();
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
    (out, renamed)
}
