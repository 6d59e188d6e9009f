//! Columns of a table that exists on both sides.

use super::*;

pub(super) fn diff(out: &mut Vec<Change>, table: &QualifiedName, a: &Table, b: &Table, to: &Snapshot) {
    // Columns an inheritance parent adds or drops reach the child with it.
    let inherited = |name: &str| {
        b.inherits.iter().any(|p| {
            to.tables
                .iter()
                .any(|t| &t.qualified() == p && t.column(name).is_some())
        })
    };
    let m = match_by(&a.columns, &b.columns, |c| c.name.clone());
    let m = Matched {
        removed: m
            .removed
            .into_iter()
            .filter(|c| !a.inherits.is_empty() || !inherited(&c.name))
            .collect(),
        added: m.added.into_iter().filter(|c| !inherited(&c.name)).collect(),
        both: m.both,
    };
    for c in m.removed {
        out.push(Change::DropColumn {
            table: table.clone(),
            column: c.clone(),
        });
    }
    // Added columns in the order TO lists them.
    for c in m.added {
        out.push(Change::AddColumn {
            table: table.clone(),
            column: c.clone(),
        });
        let target = CommentTarget::Column {
            table: table.clone(),
            column: c.name.clone(),
            relation: "table",
        };
        comment_change(out, target, &None, &c.comment);
    }
    for (x, y) in m.both {
        // An inherited column's type is its parent's: it changes with the parent (the child's
        // own default and NOT NULL are its own).
        let own = if inherited(&x.name) {
            Column {
                data_type: y.data_type.clone(),
                collation: y.collation.clone(),
                ..x.clone()
            }
        } else {
            x.clone()
        };
        let x = &own;
        // A comment is a change of its own; a declared rename is no property of the column.
        let bare = |c: &Column| Column {
            comment: None,
            renamed_from: None,
            ..c.clone()
        };
        if bare(x) != bare(y) {
            out.push(Change::AlterColumn {
                table: table.clone(),
                from: x.clone(),
                to: y.clone(),
            });
        }
        let target = CommentTarget::Column {
            table: table.clone(),
            column: x.name.clone(),
            relation: "table",
        };
        comment_change(out, target, &x.comment, &y.comment);
    }
}

/// A partition's columns are its parent's, but for their own defaults
/// (`PARTITION OF parent (status DEFAULT 'eu')`).
pub(super) fn partition_defaults(out: &mut Vec<Change>, table: &QualifiedName, a: &Table, b: &Table) {
    for x in &a.columns {
        let Some(y) = b.column(&x.name) else { continue };
        if x.default != y.default {
            out.push(Change::AlterColumn {
                table: table.clone(),
                from: x.clone(),
                to: Column {
                    default: y.default.clone(),
                    ..x.clone()
                },
            });
        }
    }
}
