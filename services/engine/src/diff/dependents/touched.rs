//! What dependents must not use as it is while the changes run: the objects they drop (or
//! drop to create again) and the columns that change type or go.

use std::collections::BTreeSet;

use super::*;

pub(super) struct Touched {
    /// Relations, types, functions and collations dropped, or dropped to be created again.
    pub names: BTreeSet<QualifiedName>,
    /// Columns that change type or collation, or are dropped (an enum swap casts the
    /// columns of its type).
    pub columns: BTreeSet<(QualifiedName, String)>,
    /// The tables of those columns: what a definition's text shows of them.
    pub tables: BTreeSet<QualifiedName>,
}

impl Touched {
    /// What the changes touch of FROM.
    pub fn by(out: &[Change], from: &Snapshot) -> Self {
        let mut columns = BTreeSet::new();
        let mut swapped = BTreeSet::new();
        for c in out {
            match c {
                Change::AlterColumn { table, from, to }
                    if from.data_type != to.data_type || from.collation != to.collation =>
                {
                    columns.insert((table.clone(), from.name.clone()));
                }
                Change::DropColumn { table, column } => {
                    columns.insert((table.clone(), column.name.clone()));
                }
                Change::ReplaceEnum { from, .. } => {
                    swapped.insert(QualifiedName::new(&from.schema, &from.name));
                }
                _ => {}
            }
        }
        if !swapped.is_empty() {
            for t in &from.tables {
                for c in t.columns.iter().filter(|c| uses(&c.data_type, &swapped)) {
                    columns.insert((t.qualified(), c.name.clone()));
                }
            }
        }
        Self {
            names: dropped_names(out),
            tables: columns.iter().map(|(t, _)| t.clone()).collect(),
            columns,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.columns.is_empty()
    }

    /// Whether `who` uses something touched by what PostgreSQL recorded, when FROM was read
    /// live (`None` when it was not). A column counts for the dependents PostgreSQL does not
    /// let a column change type or go under (views, function bodies, generation expressions,
    /// triggers, policies); defaults, checks and indexes it rebuilds itself.
    pub fn recorded(&self, from: &Snapshot, who: &Dependent) -> Option<bool> {
        let columns = who.holds_its_columns();
        let mut refs = from.dependencies.of(who)?;
        Some(refs.any(|r| {
            self.names.contains(r.object())
                || matches!(r, Referenced::Column { relation, column }
                    if columns && self.columns.contains(&(relation.clone(), column.clone())))
        }))
    }

    /// Whether a definition's text names something touched; with `tables`, a table with a
    /// touched column counts whole (the text does not say which columns it reads).
    pub fn named(&self, text: &str, tables: bool) -> bool {
        if self.names.is_empty() && (!tables || self.tables.is_empty()) {
            return false;
        }
        qualified_names(text)
            .iter()
            .any(|n| self.names.contains(n) || (tables && self.tables.contains(n)))
    }
}

/// The relations, types and functions the changes drop (or drop to create again).
fn dropped_names(out: &[Change]) -> BTreeSet<QualifiedName> {
    let q = QualifiedName::new;
    out.iter()
        .filter_map(|c| match c {
            Change::DropTable(t) => Some(t.qualified()),
            Change::DropView(v) => Some(q(&v.schema, &v.name)),
            Change::DropMaterializedView(v) => Some(q(&v.schema, &v.name)),
            Change::DropFunction(f) => Some(q(&f.schema, &f.name)),
            Change::DropEnum(e) => Some(q(&e.schema, &e.name)),
            Change::ReplaceEnum { from, .. } => Some(q(&from.schema, &from.name)),
            Change::DropDomain(d) => Some(q(&d.schema, &d.name)),
            Change::DropCompositeType(c) => Some(q(&c.schema, &c.name)),
            _ => None,
        })
        .collect()
}
