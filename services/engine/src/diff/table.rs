//! Tables and what hangs off them: constraints, indexes, triggers, row-level security,
//! policies and comments. Columns are in `column.rs`.

use super::*;

fn shape_changed(a: &Table, b: &Table) -> bool {
    a.partition_by != b.partition_by
        || a.partition_of != b.partition_of
        || a.inherits != b.inherits
        || a.unlogged != b.unlogged
}

pub(super) fn diff(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let m = match_by(&from.tables, &to.tables, |t| t.qualified());
    for t in m.removed {
        // Its foreign keys go first, so that tables that point at each other can be dropped.
        for fk in &t.foreign_keys {
            out.push(Change::DropConstraint {
                table: t.qualified(),
                constraint: Constraint::ForeignKey(fk.clone()),
            });
        }
        out.push(Change::DropTable(Box::new(t.clone())));
    }
    for t in m.added {
        create(out, t);
    }
    for (a, b) in m.both {
        // Everything below compares the two sides: equal tables (most of them) have nothing.
        if a == b {
            continue;
        }
        if shape_changed(a, b) {
            // Partitioning, inheritance and persistence cannot be altered in place here.
            out.push(Change::DropTable(Box::new(a.clone())));
            create(out, b);
            continue;
        }
        alter(out, a, b, to);
    }
}

/// A new table: the table with its columns, then its constraints, indexes, triggers,
/// policies and comments as changes of their own (so that foreign keys can wait for the
/// tables they point to).
fn create(out: &mut Vec<Change>, t: &Table) {
    let name = t.qualified();
    out.push(Change::CreateTable(Box::new(t.clone())));
    for c in &t.columns {
        let target = CommentTarget::Column {
            table: name.clone(),
            column: c.name.clone(),
            relation: "table",
        };
        comment_change(out, target, &None, &c.comment);
    }
    for c in Constraint::all_of(t) {
        let comment = c.comment().map(str::to_string);
        let cname = c.name().to_string();
        out.push(Change::AddConstraint {
            table: name.clone(),
            constraint: c,
            new_table: true,
        });
        comment_change(
            out,
            CommentTarget::Constraint {
                table: name.clone(),
                name: cname,
            },
            &None,
            &comment,
        );
    }
    for ix in &t.indexes {
        out.push(Change::CreateIndex {
            table: name.clone(),
            index: ix.clone(),
            new_table: true,
        });
        comment_change(
            out,
            CommentTarget::Index {
                schema: t.schema.clone(),
                name: ix.name.clone(),
            },
            &None,
            &ix.comment,
        );
    }
    rest(
        out,
        &Table {
            triggers: vec![],
            policies: vec![],
            row_security: RowSecurity::default(),
            replica_identity: None,
            comment: None,
            columns: vec![],
            ..t.clone()
        },
        t,
        true,
    );
}

fn alter(out: &mut Vec<Change>, a: &Table, b: &Table, to: &Snapshot) {
    let name = a.qualified();
    // A partition's columns are its parent's: they change with the parent, but for defaults.
    if b.partition_of.is_none() {
        super::column::diff(out, &name, a, b, to);
    } else {
        super::column::partition_defaults(out, &name, a, b);
    }
    if a.options != b.options {
        out.push(Change::SetTableOptions {
            table: name.clone(),
            from: a.options.clone(),
            to: b.options.clone(),
        });
    }
    let (ca, cb) = (Constraint::all_of(a), Constraint::all_of(b));
    let cm = match_by(&ca, &cb, |c| c.name().to_string());
    let mut dropped: Vec<Constraint> = cm.removed.into_iter().cloned().collect();
    let mut added: Vec<Constraint> = cm.added.into_iter().cloned().collect();
    for (x, y) in &cm.both {
        if x.definition() != y.definition() || std::mem::discriminant(*x) != std::mem::discriminant(*y) {
            dropped.push((*x).clone());
            added.push((*y).clone());
        } else {
            let target = CommentTarget::Constraint {
                table: name.clone(),
                name: x.name().to_string(),
            };
            comment_change(
                out,
                target,
                &x.comment().map(str::to_string),
                &y.comment().map(str::to_string),
            );
        }
    }
    for c in dropped {
        out.push(Change::DropConstraint {
            table: name.clone(),
            constraint: c,
        });
    }
    for c in added {
        let comment = c.comment().map(str::to_string);
        let cname = c.name().to_string();
        out.push(Change::AddConstraint {
            table: name.clone(),
            constraint: c,
            new_table: false,
        });
        comment_change(
            out,
            CommentTarget::Constraint {
                table: name.clone(),
                name: cname,
            },
            &None,
            &comment,
        );
    }
    let im = match_by(&a.indexes, &b.indexes, |i| i.name.clone());
    for ix in im.removed {
        out.push(Change::DropIndex {
            table: name.clone(),
            index: ix.clone(),
        });
    }
    for ix in im.added {
        out.push(Change::CreateIndex {
            table: name.clone(),
            index: ix.clone(),
            new_table: false,
        });
        comment_change(
            out,
            CommentTarget::Index {
                schema: b.schema.clone(),
                name: ix.name.clone(),
            },
            &None,
            &ix.comment,
        );
    }
    for (x, y) in im.both {
        if (Index {
            comment: None,
            ..x.clone()
        }) != (Index {
            comment: None,
            ..y.clone()
        }) {
            out.push(Change::DropIndex {
                table: name.clone(),
                index: x.clone(),
            });
            out.push(Change::CreateIndex {
                table: name.clone(),
                index: y.clone(),
                new_table: false,
            });
            comment_change(
                out,
                CommentTarget::Index {
                    schema: b.schema.clone(),
                    name: y.name.clone(),
                },
                &None,
                &y.comment,
            );
        } else {
            comment_change(
                out,
                CommentTarget::Index {
                    schema: b.schema.clone(),
                    name: y.name.clone(),
                },
                &x.comment,
                &y.comment,
            );
        }
    }
    rest(out, a, b, false);
}

/// Triggers, row-level security, policies and the table's comment.
fn rest(out: &mut Vec<Change>, a: &Table, b: &Table, _new: bool) {
    let name = b.qualified();
    triggers(out, &name, &a.triggers, &b.triggers);
    if a.replica_identity != b.replica_identity {
        out.push(Change::SetReplicaIdentity {
            table: name.clone(),
            from: a.replica_identity.clone(),
            to: b.replica_identity.clone(),
        });
    }
    if a.row_security != b.row_security {
        out.push(Change::SetRowSecurity {
            table: name.clone(),
            from: a.row_security,
            to: b.row_security,
        });
    }
    let pm = match_by(&a.policies, &b.policies, |p| p.name.clone());
    for p in pm.removed {
        out.push(Change::DropPolicy {
            table: name.clone(),
            policy: p.clone(),
        });
    }
    for p in pm.added {
        out.push(Change::CreatePolicy {
            table: name.clone(),
            policy: p.clone(),
        });
        comment_change(
            out,
            CommentTarget::Policy {
                table: name.clone(),
                name: p.name.clone(),
            },
            &None,
            &p.comment,
        );
    }
    for (x, y) in pm.both {
        if (Policy {
            comment: None,
            ..x.clone()
        }) != (Policy {
            comment: None,
            ..y.clone()
        }) {
            out.push(Change::DropPolicy {
                table: name.clone(),
                policy: x.clone(),
            });
            out.push(Change::CreatePolicy {
                table: name.clone(),
                policy: y.clone(),
            });
            comment_change(
                out,
                CommentTarget::Policy {
                    table: name.clone(),
                    name: y.name.clone(),
                },
                &None,
                &y.comment,
            );
        } else {
            comment_change(
                out,
                CommentTarget::Policy {
                    table: name.clone(),
                    name: y.name.clone(),
                },
                &x.comment,
                &y.comment,
            );
        }
    }
    comment_change(out, CommentTarget::Table { name }, &a.comment, &b.comment);
}

pub(super) fn triggers(out: &mut Vec<Change>, table: &QualifiedName, a: &[Trigger], b: &[Trigger]) {
    let tm = match_by(a, b, |t| t.name.clone());
    let create = |out: &mut Vec<Change>, t: &Trigger, comment_from: &Option<String>| {
        out.push(Change::CreateTrigger {
            table: table.clone(),
            trigger: t.clone(),
        });
        if t.enabled != TriggerEnabled::Origin {
            out.push(Change::SetTriggerEnabled {
                table: table.clone(),
                name: t.name.clone(),
                from: TriggerEnabled::Origin,
                to: t.enabled,
            });
        }
        comment_change(
            out,
            CommentTarget::Trigger {
                table: table.clone(),
                name: t.name.clone(),
            },
            comment_from,
            &t.comment,
        );
    };
    for t in tm.removed {
        out.push(Change::DropTrigger {
            table: table.clone(),
            trigger: t.clone(),
        });
    }
    for t in tm.added {
        create(out, t, &None);
    }
    for (x, y) in tm.both {
        if x.definition != y.definition {
            out.push(Change::DropTrigger {
                table: table.clone(),
                trigger: x.clone(),
            });
            create(out, y, &None);
        } else {
            if x.enabled != y.enabled {
                out.push(Change::SetTriggerEnabled {
                    table: table.clone(),
                    name: x.name.clone(),
                    from: x.enabled,
                    to: y.enabled,
                });
            }
            comment_change(
                out,
                CommentTarget::Trigger {
                    table: table.clone(),
                    name: x.name.clone(),
                },
                &x.comment,
                &y.comment,
            );
        }
    }
}
