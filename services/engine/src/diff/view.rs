//! Views and materialized views: changed ones are dropped and created again, and so are the
//! unchanged ones that depend on a column whose type changes or that is dropped.

use std::collections::BTreeSet;

use super::*;
use crate::render::refs::qualified_names;

pub(super) fn diff(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let m = match_by(&from.views, &to.views, |v| (v.schema.clone(), v.name.clone()));
    for v in m.removed {
        out.push(Change::DropView(v.clone()));
    }
    for v in m.added {
        create_view(out, v);
    }
    for (a, b) in m.both {
        let strip = |v: &View| View {
            comment: None,
            triggers: vec![],
            columns: v
                .columns
                .iter()
                .map(|c| ViewColumn {
                    comment: None,
                    ..c.clone()
                })
                .collect(),
            ..v.clone()
        };
        let name = QualifiedName::new(&a.schema, &a.name);
        if strip(a) != strip(b) {
            out.push(Change::DropView(a.clone()));
            create_view(out, b);
            continue;
        }
        view_comments(out, &name, a, b, false);
        super::table::triggers(out, &name, &a.triggers, &b.triggers);
    }
    let m = match_by(&from.materialized_views, &to.materialized_views, |v| {
        (v.schema.clone(), v.name.clone())
    });
    for v in m.removed {
        out.push(Change::DropMaterializedView(v.clone()));
    }
    for v in m.added {
        create_materialized(out, v);
    }
    for (a, b) in m.both {
        let strip = |v: &MaterializedView| MaterializedView {
            comment: None,
            columns: v
                .columns
                .iter()
                .map(|c| ViewColumn {
                    comment: None,
                    ..c.clone()
                })
                .collect(),
            ..v.clone()
        };
        if strip(a) != strip(b) {
            out.push(Change::DropMaterializedView(a.clone()));
            create_materialized(out, b);
        } else {
            let name = QualifiedName::new(&a.schema, &a.name);
            comment_change(
                out,
                CommentTarget::View {
                    name: name.clone(),
                    materialized: true,
                },
                &a.comment,
                &b.comment,
            );
            for (x, y) in a.columns.iter().zip(&b.columns) {
                let target = CommentTarget::Column {
                    table: name.clone(),
                    column: x.name.clone(),
                    relation: "materialized view",
                };
                comment_change(out, target, &x.comment, &y.comment);
            }
        }
    }
}

fn view_comments(out: &mut Vec<Change>, name: &QualifiedName, a: &View, b: &View, _new: bool) {
    comment_change(
        out,
        CommentTarget::View {
            name: name.clone(),
            materialized: false,
        },
        &a.comment,
        &b.comment,
    );
    for y in &b.columns {
        let x = a
            .columns
            .iter()
            .find(|c| c.name == y.name)
            .and_then(|c| c.comment.clone());
        let target = CommentTarget::Column {
            table: name.clone(),
            column: y.name.clone(),
            relation: "view",
        };
        comment_change(out, target, &x, &y.comment);
    }
}

fn create_view(out: &mut Vec<Change>, v: &View) {
    out.push(Change::CreateView(v.clone()));
    let name = QualifiedName::new(&v.schema, &v.name);
    let empty = View {
        comment: None,
        columns: vec![],
        triggers: vec![],
        ..v.clone()
    };
    view_comments(out, &name, &empty, v, true);
    super::table::triggers(out, &name, &[], &v.triggers);
}

fn create_materialized(out: &mut Vec<Change>, v: &MaterializedView) {
    out.push(Change::CreateMaterializedView(v.clone()));
    let name = QualifiedName::new(&v.schema, &v.name);
    comment_change(
        out,
        CommentTarget::View {
            name: name.clone(),
            materialized: true,
        },
        &None,
        &v.comment,
    );
    for c in &v.columns {
        let target = CommentTarget::Column {
            table: name.clone(),
            column: c.name.clone(),
            relation: "materialized view",
        };
        comment_change(out, target, &None, &c.comment);
    }
    for ix in &v.indexes {
        comment_change(
            out,
            CommentTarget::Index {
                schema: v.schema.clone(),
                name: ix.name.clone(),
            },
            &None,
            &ix.comment,
        );
    }
}

/// Views (and materialized views) that read a table whose columns change type or are
/// dropped, or another view that is dropped, must be dropped before and created after.
pub(super) fn recreate_dependents(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let mut touched: BTreeSet<QualifiedName> = BTreeSet::new();
    for c in out.iter() {
        match c {
            Change::AlterColumn { table, from, to }
                if from.data_type != to.data_type || from.collation != to.collation =>
            {
                touched.insert(table.clone());
            }
            Change::DropColumn { table, .. } => {
                touched.insert(table.clone());
            }
            Change::DropView(v) => {
                touched.insert(QualifiedName::new(&v.schema, &v.name));
            }
            Change::DropMaterializedView(v) => {
                touched.insert(QualifiedName::new(&v.schema, &v.name));
            }
            Change::ReplaceEnum { from, .. } => {
                touched.insert(QualifiedName::new(&from.schema, &from.name));
            }
            _ => {}
        }
    }
    let mut dropped: BTreeSet<QualifiedName> = out
        .iter()
        .filter_map(|c| match c {
            Change::DropView(v) => Some(QualifiedName::new(&v.schema, &v.name)),
            Change::DropMaterializedView(v) => Some(QualifiedName::new(&v.schema, &v.name)),
            _ => None,
        })
        .collect();
    // Until nothing more is added: a recreated view touches the views that read it.
    loop {
        let mut more = false;
        for v in &from.views {
            let name = QualifiedName::new(&v.schema, &v.name);
            if dropped.contains(&name) || !qualified_names(&v.definition).iter().any(|r| touched.contains(r)) {
                continue;
            }
            out.push(Change::DropView(v.clone()));
            if let Some(n) = to.views.iter().find(|x| x.schema == v.schema && x.name == v.name) {
                create_view(out, n);
            }
            dropped.insert(name.clone());
            touched.insert(name);
            more = true;
        }
        for v in &from.materialized_views {
            let name = QualifiedName::new(&v.schema, &v.name);
            if dropped.contains(&name) || !qualified_names(&v.definition).iter().any(|r| touched.contains(r)) {
                continue;
            }
            out.push(Change::DropMaterializedView(v.clone()));
            if let Some(n) = to
                .materialized_views
                .iter()
                .find(|x| x.schema == v.schema && x.name == v.name)
            {
                create_materialized(out, n);
            }
            dropped.insert(name.clone());
            touched.insert(name);
            more = true;
        }
        if !more {
            break;
        }
    }
}
