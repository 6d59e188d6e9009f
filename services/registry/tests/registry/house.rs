//! The house's shape: the registry's source files import each other without circles. An
//! import is a path through `crate::…` or `super::…` (in a `use` or written inline) to an item
//! of another file; a circle is files that reach each other by imports, which makes each of
//! them impossible to read or change alone. Move what both sides use below both.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path (`["registry", "drift"]`) for every source file of `src`.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut segments: Vec<String> = rel.iter().map(|s| s.to_string_lossy().to_string()).collect();
            if matches!(segments.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                segments.pop();
            }
            out.insert(segments, path);
        }
    }
    out
}

/// The code of a file that counts: without whole-line comments and without the unit tests at
/// its end (whose `super::` is the file itself).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a file names through `crate::` or `super::`, brace groups of `use` spread out,
/// as module paths from the crate's root.
fn paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let starts = |i: usize, word: &str| {
        code[i..].starts_with(word)
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':'))
    };
    for i in 0..code.len() {
        if !code.is_char_boundary(i) {
            continue;
        }
        let base: Vec<String> = if starts(i, "crate::") {
            Vec::new()
        } else if starts(i, "super::") {
            // The parent module: of `registry/drift.rs` (`registry::drift`) and of
            // `registry/mod.rs` (`registry`) alike, the module above.
            module[..module.len().saturating_sub(1)].to_vec()
        } else {
            continue;
        };
        let rest = &code[i..];
        let rest = &rest[rest.find("::").unwrap() + 2..];
        for tail in spread(rest) {
            let mut path = base.clone();
            path.extend(tail);
            out.push(path);
        }
    }
    out
}

/// The paths one `a::b::{c, d::e}` spelling holds, read from the start of `text`.
fn spread(text: &str) -> Vec<Vec<String>> {
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let close = group
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map(|(i, _)| i)
                .unwrap_or(group.len());
            let mut out = Vec::new();
            for item in split_top(&group[..close]) {
                for tail in spread(item.trim()) {
                    let mut path = segments.clone();
                    path.extend(tail);
                    out.push(path);
                }
            }
            return out;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        segments.push(rest[..end].to_string());
        rest = &rest[end..];
        match rest.strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    vec![segments]
}

/// The items of a brace group, split at its own commas.
fn split_top(group: &str) -> Vec<&str> {
    let (mut out, mut depth, mut from) = (Vec::new(), 0, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&group[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    out.push(&group[from..]);
    out
}

/// The file a path lands in: the longest module prefix of it that is a file.
fn file_of<'a>(path: &[String], modules: &'a BTreeMap<Vec<String>, PathBuf>) -> Option<&'a PathBuf> {
    (1..=path.len()).rev().find_map(|n| modules.get(&path[..n]))
}

/// The import edges between the files of `src`.
fn edges(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let modules = modules(src);
    let mut out: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (module, file) in &modules {
        let targets = out.entry(file.clone()).or_default();
        for path in paths(&code(file), module) {
            if let Some(to) = file_of(&path, &modules)
                && to != file
            {
                targets.insert(to.clone());
            }
        }
    }
    out
}

/// The strongly connected groups of more than one file (Tarjan's algorithm).
fn circles(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        out: Vec<Vec<PathBuf>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a PathBuf) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[w].min(self.low[v]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.index[w].min(self.low[v]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    group.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.out.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.out
}

#[test]
fn the_registrys_files_import_each_other_without_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = edges(&src);
    // The reading sees the imports it must: a file that names another through `crate::`, one
    // that names its sibling through `super::`, and a brace group.
    let see = |from: &str, to: &str| {
        assert!(
            edges[&src.join(from)].contains(&src.join(to)),
            "{from} imports {to}, and the reading missed it"
        );
    };
    see("registry/drift.rs", "state.rs");
    see("registry/drift.rs", "registry/live.rs");
    see("registry/planning.rs", "audit/mod.rs");
    let found = circles(&edges);
    let src = src.as_path();
    let named: Vec<String> = found
        .iter()
        .map(|group| {
            let inside: BTreeSet<&PathBuf> = group.iter().collect();
            let ties: Vec<String> = group
                .iter()
                .flat_map(|f| {
                    edges[f].iter().filter(|t| inside.contains(t)).map(move |t| {
                        format!(
                            "{} -> {}",
                            f.strip_prefix(src).unwrap().display(),
                            t.strip_prefix(src).unwrap().display()
                        )
                    })
                })
                .collect();
            ties.join("\n  ")
        })
        .collect();
    assert!(
        named.is_empty(),
        "import circles between the registry's files (move what both sides use below both):\n  {}",
        named.join("\n\n  ")
    );
}

#[test]
fn a_circle_is_found_and_a_line_without_one_is_not() {
    let edge = |pairs: &[(&str, &str)]| {
        let mut out: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
        for (a, b) in pairs {
            out.entry(PathBuf::from(a)).or_default().insert(PathBuf::from(b));
            out.entry(PathBuf::from(b)).or_default();
        }
        out
    };
    assert!(circles(&edge(&[("a", "b"), ("b", "c")])).is_empty());
    assert_eq!(
        circles(&edge(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])),
        vec![vec![PathBuf::from("a"), PathBuf::from("b"), PathBuf::from("c")]]
    );
    let module = vec!["registry".to_string(), "drift".to_string()];
    assert_eq!(
        paths(
            "use crate::{audit::{self, Event}, state::AppState};\nsuper::live::read(x)",
            &module
        ),
        vec![
            vec!["audit".to_string(), "self".into()],
            vec!["audit".to_string(), "Event".into()],
            vec!["state".to_string(), "AppState".into()],
            vec!["registry".to_string(), "live".into(), "read".into()],
        ]
    );
}
