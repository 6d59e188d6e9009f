//! Comments, and what the rollback of a drop must bring back besides the object.

use super::*;
use crate::diff::CommentTarget;
use crate::render;

pub(super) fn set_comment(target: &CommentTarget, from: &Option<String>, to: &Option<String>) -> Step {
    Builder::new(
        Rank::COMMENT,
        format!("comment on {}", describe_target(target)),
        vec![render::comment(target, to.as_deref())],
    )
    .rollback(vec![render::comment(target, from.as_deref())])
    .lock(Lock::None)
    // After the object is made in its new form (a type swapped, a table made again): the
    // comment goes on what stays.
    .needs_new([commented(target)])
    .done()
}

/// The key of what a comment is on (for a constraint, index, trigger or policy: its table).
fn commented(target: &CommentTarget) -> ObjectKey {
    match target {
        CommentTarget::Schema { name } => ObjectKey::schema(name),
        CommentTarget::Type { name, .. } => ObjectKey::type_of(&name.schema, &name.name),
        CommentTarget::Collation { name } => ObjectKey::Collation(name.clone()),
        CommentTarget::Sequence { name } | CommentTarget::Table { name } | CommentTarget::View { name, .. } => {
            ObjectKey::rel(name)
        }
        CommentTarget::Column { table, .. } => ObjectKey::shape(table),
        CommentTarget::Constraint { table, .. }
        | CommentTarget::Trigger { table, .. }
        | CommentTarget::Policy { table, .. } => ObjectKey::rel(table),
        CommentTarget::Index { schema, .. } => ObjectKey::schema(schema),
        CommentTarget::Function { name, .. } => ObjectKey::func(&name.schema, &name.name),
    }
}

pub(super) fn comment_sql(target: CommentTarget, comment: &Option<String>) -> Option<String> {
    comment.as_ref().map(|c| render::comment(&target, Some(c)))
}

/// What the rollback of a drop must also bring back: comments, a trigger's state, a view's
/// triggers.
pub(super) fn restore_extras(change: &Change) -> Vec<String> {
    let type_target = |schema: &str, name: &str, domain: bool| CommentTarget::Type {
        name: QualifiedName::new(schema, name),
        domain,
    };
    let column_comments = |name: &QualifiedName, cols: &[ViewColumn], relation: &'static str| -> Vec<String> {
        cols.iter()
            .filter_map(|c| {
                let target = CommentTarget::Column {
                    table: name.clone(),
                    column: c.name.clone(),
                    relation,
                };
                comment_sql(target, &c.comment)
            })
            .collect()
    };
    match change {
        Change::DropSchema(s) => comment_sql(CommentTarget::Schema { name: s.name.clone() }, &s.comment)
            .into_iter()
            .collect(),
        Change::DropEnum(e) => comment_sql(type_target(&e.schema, &e.name, false), &e.comment)
            .into_iter()
            .collect(),
        Change::DropDomain(d) => comment_sql(type_target(&d.schema, &d.name, true), &d.comment)
            .into_iter()
            .collect(),
        Change::DropCollation(c) => comment_sql(
            CommentTarget::Collation {
                name: QualifiedName::new(&c.schema, &c.name),
            },
            &c.comment,
        )
        .into_iter()
        .collect(),
        Change::DropCompositeType(c) => comment_sql(type_target(&c.schema, &c.name, false), &c.comment)
            .into_iter()
            .collect(),
        Change::DropSequence(q) => comment_sql(
            CommentTarget::Sequence {
                name: QualifiedName::new(&q.schema, &q.name),
            },
            &q.comment,
        )
        .into_iter()
        .collect(),
        Change::DropFunction(f) => comment_sql(
            CommentTarget::Function {
                name: QualifiedName::new(&f.schema, &f.name),
                arguments: f.arguments.clone(),
                procedure: f.kind == FunctionKind::Procedure,
            },
            &f.comment,
        )
        .into_iter()
        .collect(),
        Change::DropPolicy { table, policy } => comment_sql(
            CommentTarget::Policy {
                table: table.clone(),
                name: policy.name.clone(),
            },
            &policy.comment,
        )
        .into_iter()
        .collect(),
        Change::DropTrigger { table, trigger } => {
            let mut v = Vec::new();
            if trigger.enabled != TriggerEnabled::Origin {
                v.push(render::set_trigger_enabled(table, &trigger.name, trigger.enabled));
            }
            v.extend(comment_sql(
                CommentTarget::Trigger {
                    table: table.clone(),
                    name: trigger.name.clone(),
                },
                &trigger.comment,
            ));
            v
        }
        Change::DropView(view) => {
            let name = QualifiedName::new(&view.schema, &view.name);
            let mut v = Vec::new();
            for tr in &view.triggers {
                v.push(render::create_trigger(tr));
                v.extend(comment_sql(
                    CommentTarget::Trigger {
                        table: name.clone(),
                        name: tr.name.clone(),
                    },
                    &tr.comment,
                ));
            }
            v.extend(column_comments(&name, &view.columns, "view"));
            v.extend(comment_sql(
                CommentTarget::View {
                    name,
                    materialized: false,
                },
                &view.comment,
            ));
            v
        }
        Change::DropMaterializedView(m) => {
            let name = QualifiedName::new(&m.schema, &m.name);
            let mut v = Vec::new();
            for ix in &m.indexes {
                v.extend(comment_sql(
                    CommentTarget::Index {
                        schema: m.schema.clone(),
                        name: ix.name.clone(),
                    },
                    &ix.comment,
                ));
            }
            v.extend(column_comments(&name, &m.columns, "materialized view"));
            v.extend(comment_sql(
                CommentTarget::View {
                    name,
                    materialized: true,
                },
                &m.comment,
            ));
            v
        }
        Change::DropConstraint { table, constraint } => comment_sql(
            CommentTarget::Constraint {
                table: table.clone(),
                name: constraint.name().to_string(),
            },
            &constraint.comment().map(str::to_string),
        )
        .into_iter()
        .collect(),
        Change::DropIndex { table, index } => comment_sql(
            CommentTarget::Index {
                schema: table.schema.clone(),
                name: index.name.clone(),
            },
            &index.comment,
        )
        .into_iter()
        .collect(),
        Change::DropColumn { table, column } => {
            let target = CommentTarget::Column {
                table: table.clone(),
                column: column.name.clone(),
                relation: "table",
            };
            comment_sql(target, &column.comment).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

pub(super) fn describe_target(t: &CommentTarget) -> String {
    match t {
        CommentTarget::Schema { name } => format!("schema {name}"),
        CommentTarget::Type { name, .. } => format!("type {name}"),
        CommentTarget::Collation { name } => format!("collation {name}"),
        CommentTarget::Sequence { name } => format!("sequence {name}"),
        CommentTarget::Table { name } => format!("table {name}"),
        CommentTarget::Column { table, column, .. } => format!("column {table}.{column}"),
        CommentTarget::Constraint { table, name } => format!("constraint {name} on {table}"),
        CommentTarget::Index { schema, name } => format!("index {schema}.{name}"),
        CommentTarget::View { name, .. } => format!("view {name}"),
        CommentTarget::Function { name, arguments, .. } => format!("function {name}({arguments})"),
        CommentTarget::Trigger { table, name } => format!("trigger {name} on {table}"),
        CommentTarget::Policy { table, name } => format!("policy {name} on {table}"),
    }
}
