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
        if (Column {
            comment: None,
            ..x.clone()
        }) != (Column {
            comment: None,
            ..y.clone()
        }) {
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
