//! Ordering steps by their dependencies, ranks breaking ties.
//!
//! Edges, per object key: a step that provides a key runs before the steps that need it new;
//! a step that needs a key in its old form runs before the steps that remove it; a step that
//! only removes a key runs before a step that only provides it (drop, then create again).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use super::Step;
use super::steps::{ObjectKey, Rank};

pub(super) fn order(steps: Vec<Step>) -> Vec<Step> {
    let n = steps.len();
    let mut providers: BTreeMap<&ObjectKey, Vec<usize>> = BTreeMap::new();
    let mut removers: BTreeMap<&ObjectKey, Vec<usize>> = BTreeMap::new();
    for (i, s) in steps.iter().enumerate() {
        for k in &s.deps.provides {
            providers.entry(k).or_default().push(i);
        }
        for k in &s.deps.removes {
            removers.entry(k).or_default().push(i);
        }
    }
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut add = |a: usize, b: usize| {
        if a != b {
            edges[a].push(b);
        }
    };
    for (i, s) in steps.iter().enumerate() {
        for k in &s.deps.needs_new {
            for &p in providers.get(k).into_iter().flatten() {
                add(p, i);
            }
        }
        for k in &s.deps.needs_old {
            for &r in removers.get(k).into_iter().flatten() {
                add(i, r);
            }
        }
    }
    for (k, rs) in &removers {
        for &r in rs {
            if steps[r].deps.provides.contains(*k) {
                continue;
            }
            for &p in providers.get(k).into_iter().flatten() {
                if !steps[p].deps.removes.contains(*k) {
                    add(r, p);
                }
            }
        }
    }
    let mut indegree = vec![0usize; n];
    for targets in &mut edges {
        targets.sort_unstable();
        targets.dedup();
    }
    for targets in &edges {
        for &t in targets {
            indegree[t] += 1;
        }
    }
    let mut queued = vec![false; n];
    let mut ready: BinaryHeap<Reverse<(Rank, usize)>> = BinaryHeap::new();
    for i in (0..n).filter(|&i| indegree[i] == 0) {
        queued[i] = true;
        ready.push(Reverse((steps[i].deps.rank, i)));
    }
    let mut order = Vec::with_capacity(n);
    loop {
        while let Some(Reverse((_, i))) = ready.pop() {
            order.push(i);
            for &t in &edges[i] {
                indegree[t] = indegree[t].saturating_sub(1);
                if indegree[t] == 0 && !queued[t] {
                    queued[t] = true;
                    ready.push(Reverse((steps[t].deps.rank, t)));
                }
            }
        }
        if order.len() == n {
            break;
        }
        // A cycle: release the lowest-ranked waiting step and go on.
        let next = (0..n)
            .filter(|&i| !queued[i])
            .min_by_key(|&i| (steps[i].deps.rank, i))
            .expect("a step waits");
        queued[next] = true;
        ready.push(Reverse((steps[next].deps.rank, next)));
    }
    let mut slots: Vec<Option<Step>> = steps.into_iter().map(Some).collect();
    order
        .into_iter()
        .map(|i| slots[i].take().expect("each step once"))
        .collect()
}
