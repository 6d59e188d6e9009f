//! Schemas, extensions, domains, composite types and sequences.

use super::*;

pub(super) fn schemas(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let m = match_by(&from.schemas, &to.schemas, |s| s.name.clone());
    out.extend(m.removed.into_iter().cloned().map(Change::DropSchema));
    for s in m.added {
        out.push(Change::CreateSchema(s.clone()));
        comment_change(out, CommentTarget::Schema { name: s.name.clone() }, &None, &s.comment);
    }
    for (a, b) in m.both {
        comment_change(
            out,
            CommentTarget::Schema { name: a.name.clone() },
            &a.comment,
            &b.comment,
        );
    }
}

pub(super) fn extensions(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let m = match_by(&from.extensions, &to.extensions, |e| e.name.clone());
    out.extend(m.removed.into_iter().cloned().map(Change::DropExtension));
    out.extend(m.added.into_iter().cloned().map(Change::CreateExtension));
    for (a, b) in m.both {
        if a.schema != b.schema {
            out.push(Change::DropExtension(a.clone()));
            out.push(Change::CreateExtension(b.clone()));
        }
    }
}

pub(super) fn domains(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let m = match_by(&from.domains, &to.domains, |d| (d.schema.clone(), d.name.clone()));
    out.extend(m.removed.into_iter().cloned().map(Change::DropDomain));
    for d in m.added {
        out.push(Change::CreateDomain(d.clone()));
        let name = QualifiedName::new(&d.schema, &d.name);
        comment_change(out, CommentTarget::Type { name, domain: true }, &None, &d.comment);
    }
    for (a, b) in m.both {
        if a.base_type != b.base_type || a.collation != b.collation {
            out.push(Change::DropDomain(a.clone()));
            out.push(Change::CreateDomain(b.clone()));
        } else if a.default != b.default || a.not_null != b.not_null || a.checks != b.checks {
            out.push(Change::AlterDomain {
                from: a.clone(),
                to: b.clone(),
            });
        }
        let name = QualifiedName::new(&a.schema, &a.name);
        comment_change(out, CommentTarget::Type { name, domain: true }, &a.comment, &b.comment);
    }
}

pub(super) fn composites(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let m = match_by(&from.composite_types, &to.composite_types, |d| {
        (d.schema.clone(), d.name.clone())
    });
    out.extend(m.removed.into_iter().cloned().map(Change::DropCompositeType));
    for c in m.added {
        out.push(Change::CreateCompositeType(c.clone()));
        let name = QualifiedName::new(&c.schema, &c.name);
        comment_change(out, CommentTarget::Type { name, domain: false }, &None, &c.comment);
    }
    for (a, b) in m.both {
        if a.attributes != b.attributes {
            out.push(Change::DropCompositeType(a.clone()));
            out.push(Change::CreateCompositeType(b.clone()));
        }
        let name = QualifiedName::new(&a.schema, &a.name);
        comment_change(out, CommentTarget::Type { name, domain: false }, &a.comment, &b.comment);
    }
}

pub(super) fn sequences(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let m = match_by(&from.sequences, &to.sequences, |d| (d.schema.clone(), d.name.clone()));
    // A sequence owned by a column goes with its table: no step of its own when that goes.
    let table_stays = |o: &ColumnRef| to.tables.iter().any(|t| t.schema == o.schema && t.name == o.table);
    out.extend(
        m.removed
            .into_iter()
            .filter(|s| s.owned_by.as_ref().is_none_or(table_stays))
            .cloned()
            .map(Change::DropSequence),
    );
    for s in m.added {
        out.push(Change::CreateSequence(s.clone()));
        let name = QualifiedName::new(&s.schema, &s.name);
        comment_change(out, CommentTarget::Sequence { name }, &None, &s.comment);
    }
    for (a, b) in m.both {
        if a.options != b.options || a.owned_by != b.owned_by {
            out.push(Change::AlterSequence {
                from: a.clone(),
                to: b.clone(),
            });
        }
        let name = QualifiedName::new(&a.schema, &a.name);
        comment_change(out, CommentTarget::Sequence { name }, &a.comment, &b.comment);
    }
}
