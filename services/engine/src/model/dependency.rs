//! What PostgreSQL recorded that objects depend on (`pg_depend`), when a snapshot was read
//! from a live database.
//!
//! A snapshot's texts name what its objects use, and the engine reads dependencies from them
//! when nothing else is known (a pushed document, a version). A live database knows better:
//! it recorded what each view, function, default, check, index, trigger and policy uses when
//! it was created, down to the column, and refuses changes by that record (`cannot alter type
//! of a column used by a view or rule`). When FROM is live, the diff and the plan's order use
//! the record: views that read other columns of a table whose column changes type stay, and
//! uses the texts do not show (a `regclass` literal, a name in a function's signature) are not
//! missed.
//!
//! The record belongs to the database a snapshot was read from, not to the schema it
//! describes: it is not serialised (a stored snapshot has none), takes no part in digests, and
//! any two records compare equal.

use std::collections::{BTreeMap, BTreeSet};

use super::QualifiedName;

/// An object that depends on others.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dependent {
    /// A view or materialized view (through its rewrite rule).
    View(QualifiedName),
    /// A function, procedure or aggregate: its argument and result types, and what a
    /// SQL-standard body reads.
    Function { name: QualifiedName, arguments: String },
    /// A column's default or generation expression.
    ColumnExpression { table: QualifiedName, column: String },
    /// A check constraint of a table.
    Check { table: QualifiedName, name: String },
    /// A check constraint of a domain.
    DomainCheck { domain: QualifiedName, name: String },
    /// An index: what its expressions and predicate use besides its table.
    Index { table: QualifiedName, name: String },
    /// A trigger: its function and the columns of its `UPDATE OF` list and `WHEN` condition.
    Trigger { table: QualifiedName, name: String },
    /// A row-level security policy.
    Policy { table: QualifiedName, name: String },
}

impl Dependent {
    /// Whether PostgreSQL refuses to change the type of a column (or drop it) that this
    /// object reads: views, function bodies, generation expressions, triggers and policies.
    /// Defaults, checks and indexes it rebuilds itself.
    pub fn holds_its_columns(&self) -> bool {
        matches!(
            self,
            Self::View(_)
                | Self::Function { .. }
                | Self::ColumnExpression { .. }
                | Self::Trigger { .. }
                | Self::Policy { .. }
        )
    }
}

/// An object depended on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Referenced {
    /// A table, view, materialized view or sequence as a whole (that it exists).
    Relation(QualifiedName),
    /// One column of a table, view or materialized view (that it exists with its type).
    Column { relation: QualifiedName, column: String },
    /// An enum, domain, composite or range type, or the row type of a table (by its table's
    /// name). Arrays count as their element type.
    Type(QualifiedName),
    /// A function, procedure or aggregate (any overload of the name).
    Function(QualifiedName),
    /// A collation.
    Collation(QualifiedName),
}

impl Referenced {
    /// The object's name (a column's relation).
    pub fn object(&self) -> &QualifiedName {
        match self {
            Self::Relation(q) | Self::Type(q) | Self::Function(q) | Self::Collation(q) => q,
            Self::Column { relation, .. } => relation,
        }
    }
}

/// The dependencies PostgreSQL recorded, when the snapshot was read from a live database.
#[derive(Debug, Clone, Default)]
pub struct Dependencies(Option<BTreeMap<Dependent, BTreeSet<Referenced>>>);

/// Facts about where a snapshot was read, not about the schema: never what makes two snapshots
/// differ.
impl PartialEq for Dependencies {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Dependencies {}

impl Dependencies {
    /// A record read from a database (empty until dependencies are added).
    pub fn read() -> Self {
        Self(Some(BTreeMap::new()))
    }

    /// Whether the snapshot was read from a live database that recorded its dependencies.
    pub fn is_read(&self) -> bool {
        self.0.is_some()
    }

    /// Records that `dependent` uses `referenced` (a record is started if there was none).
    pub fn add(&mut self, dependent: Dependent, referenced: Referenced) {
        self.0
            .get_or_insert_with(BTreeMap::new)
            .entry(dependent)
            .or_default()
            .insert(referenced);
    }

    /// What an object uses, when the record was read (nothing recorded is an empty set);
    /// `None` when there is no record and the object's text is all there is to go by.
    pub fn of(&self, dependent: &Dependent) -> Option<impl Iterator<Item = &Referenced>> {
        let map = self.0.as_ref()?;
        Some(map.get(dependent).into_iter().flatten())
    }

    /// The record with a table renamed (a rename TO declares, made before the diff).
    pub fn rename_table(&mut self, old: &QualifiedName, new: &QualifiedName) {
        self.rename(|q| {
            if q == old {
                *q = new.clone();
            }
        });
    }

    /// The record with a column of a table renamed.
    pub fn rename_column(&mut self, table: &QualifiedName, old: &str, new: &str) {
        let Some(map) = self.0.take() else { return };
        let swap = |t: &QualifiedName, c: &mut String| {
            if t == table && c == old {
                *c = new.to_string();
            }
        };
        self.0 = Some(
            map.into_iter()
                .map(|(mut d, refs)| {
                    if let Dependent::ColumnExpression { table: t, column } = &mut d {
                        swap(t, column);
                    }
                    let refs = refs
                        .into_iter()
                        .map(|mut r| {
                            if let Referenced::Column { relation, column } = &mut r {
                                swap(relation, column);
                            }
                            r
                        })
                        .collect();
                    (d, refs)
                })
                .collect(),
        );
    }

    /// Every name of the record passed through `f` (dependents' tables and references alike).
    fn rename(&mut self, f: impl Fn(&mut QualifiedName)) {
        let Some(map) = self.0.take() else { return };
        self.0 = Some(
            map.into_iter()
                .map(|(mut d, refs)| {
                    match &mut d {
                        Dependent::View(q) | Dependent::Function { name: q, .. } => f(q),
                        Dependent::DomainCheck { domain, .. } => f(domain),
                        Dependent::ColumnExpression { table, .. }
                        | Dependent::Check { table, .. }
                        | Dependent::Index { table, .. }
                        | Dependent::Trigger { table, .. }
                        | Dependent::Policy { table, .. } => f(table),
                    }
                    let refs = refs
                        .into_iter()
                        .map(|mut r| {
                            match &mut r {
                                Referenced::Relation(q)
                                | Referenced::Type(q)
                                | Referenced::Function(q)
                                | Referenced::Collation(q) => f(q),
                                Referenced::Column { relation, .. } => f(relation),
                            }
                            r
                        })
                        .collect();
                    (d, refs)
                })
                .collect(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> QualifiedName {
        QualifiedName::new("public", s)
    }

    #[test]
    fn without_a_record_the_texts_decide() {
        let d = Dependencies::default();
        assert!(d.of(&Dependent::View(q("v"))).is_none());
        let r = Dependencies::read();
        assert_eq!(r.of(&Dependent::View(q("v"))).map(|i| i.count()), Some(0));
    }

    #[test]
    fn renames_reach_dependents_and_references() {
        let mut d = Dependencies::read();
        d.add(
            Dependent::View(q("v")),
            Referenced::Column {
                relation: q("old"),
                column: "a".into(),
            },
        );
        d.add(
            Dependent::Trigger {
                table: q("old"),
                name: "t".into(),
            },
            Referenced::Function(q("f")),
        );
        d.rename_table(&q("old"), &q("new"));
        d.rename_column(&q("new"), "a", "b");
        let refs: Vec<&Referenced> = d.of(&Dependent::View(q("v"))).unwrap().collect();
        assert_eq!(
            refs,
            [&Referenced::Column {
                relation: q("new"),
                column: "b".into()
            }]
        );
        let trigger = Dependent::Trigger {
            table: q("new"),
            name: "t".into(),
        };
        assert_eq!(d.of(&trigger).unwrap().count(), 1);
        assert_eq!(Dependencies::default(), d, "records never make snapshots differ");
    }
}
