//! Views and materialized views: changed ones are dropped and created again, and so are the
//! unchanged ones that depend on a column whose type changes or that is dropped.

use super::*;

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

pub(super) fn create_view(out: &mut Vec<Change>, v: &View) {
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

pub(super) fn create_materialized(out: &mut Vec<Change>, v: &MaterializedView) {
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
