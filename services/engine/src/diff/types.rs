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
            if alterable(a, b, from) {
                out.push(Change::AlterCompositeType {
                    from: a.clone(),
                    to: b.clone(),
                });
            } else {
                out.push(Change::DropCompositeType(a.clone()));
                out.push(Change::CreateCompositeType(b.clone()));
            }
        }
        let name = QualifiedName::new(&a.schema, &a.name);
        comment_change(out, CommentTarget::Type { name, domain: false }, &a.comment, &b.comment);
    }
}

/// Whether a composite type can be altered in place, forward and back: FROM's attributes are
/// the kept ones then the dropped ones, TO's the kept ones (same order) then the added ones
/// (`ADD ATTRIBUTE` appends); kept ones may change type only when no table column uses the type
/// (`ALTER ATTRIBUTE … TYPE` refuses then).
fn alterable(a: &CompositeType, b: &CompositeType, from: &Snapshot) -> bool {
    let in_b = |n: &str| b.attributes.iter().any(|x| x.name == n);
    let kept = a.attributes.iter().take_while(|x| in_b(&x.name)).count();
    if a.attributes[kept..].iter().any(|x| in_b(&x.name)) || b.attributes.len() < kept {
        return false;
    }
    let same_names = a.attributes[..kept]
        .iter()
        .zip(&b.attributes[..kept])
        .all(|(x, y)| x.name == y.name);
    let retyped = a.attributes[..kept]
        .iter()
        .zip(&b.attributes[..kept])
        .any(|(x, y)| x != y);
    let name = QualifiedName::new(&a.schema, &a.name);
    let used = from
        .tables
        .iter()
        .flat_map(|t| &t.columns)
        .any(|c| crate::render::refs::qualified_names(&c.data_type).contains(&name));
    same_names && !(retyped && used)
}

pub(super) fn collations(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let m = match_by(&from.collations, &to.collations, |c| (c.schema.clone(), c.name.clone()));
    let target = |c: &Collation| CommentTarget::Collation {
        name: QualifiedName::new(&c.schema, &c.name),
    };
    out.extend(m.removed.into_iter().cloned().map(Change::DropCollation));
    for c in m.added {
        out.push(Change::CreateCollation(c.clone()));
        comment_change(out, target(c), &None, &c.comment);
    }
    for (a, b) in m.both {
        let bare = |c: &Collation| Collation {
            comment: None,
            ..c.clone()
        };
        if bare(a) != bare(b) {
            // A collation cannot be altered: dropped and created again (its columns meanwhile
            // use the default collation, see dependents).
            out.push(Change::DropCollation(a.clone()));
            out.push(Change::CreateCollation(b.clone()));
            comment_change(out, target(b), &None, &b.comment);
        } else {
            comment_change(out, target(a), &a.comment, &b.comment);
        }
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
