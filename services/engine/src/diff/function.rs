//! Functions and procedures: replaced in place where PostgreSQL allows it.

use super::*;

pub(super) fn diff(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let key = |f: &Function| (f.schema.clone(), f.name.clone(), f.arguments.clone());
    let m = match_by(&from.functions, &to.functions, key);
    out.extend(m.removed.into_iter().cloned().map(Change::DropFunction));
    for f in m.added {
        out.push(Change::CreateFunction(f.clone()));
        comment_change(out, target(f), &None, &f.comment);
    }
    for (a, b) in m.both {
        if a.definition != b.definition {
            if a.result == b.result && a.kind == b.kind {
                out.push(Change::ReplaceFunction {
                    from: a.clone(),
                    to: b.clone(),
                });
            } else {
                // A new result type or kind cannot be replaced in place.
                out.push(Change::DropFunction(a.clone()));
                out.push(Change::CreateFunction(b.clone()));
                comment_change(out, target(b), &None, &b.comment);
                continue;
            }
        }
        comment_change(out, target(a), &a.comment, &b.comment);
    }
}

fn target(f: &Function) -> CommentTarget {
    CommentTarget::Function {
        name: QualifiedName::new(&f.schema, &f.name),
        arguments: f.arguments.clone(),
        procedure: f.kind == FunctionKind::Procedure,
    }
}
