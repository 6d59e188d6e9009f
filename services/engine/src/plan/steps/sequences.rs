//! Steps for sequences.

use super::*;
use crate::render;

/// The sequence, and a step of its own that makes it owned by its column (once that exists).
pub(super) fn create_sequence(s: &Sequence) -> Vec<Step> {
    let name = QualifiedName::new(&s.schema, &s.name);
    let mut v = vec![
        Builder::new(
            Rank::CREATE_SEQUENCE,
            format!("create sequence {name}"),
            vec![render::create_sequence(s)],
        )
        .rollback(vec![render::drop_sequence_if_exists(s)])
        .provides([ObjectKey::rel(&name)])
        .needs_new([ObjectKey::schema(&s.schema)])
        .lock(Lock::None)
        .done(),
    ];
    if let Some(o) = &s.owned_by {
        let owner = QualifiedName::new(&o.schema, &o.table);
        v.push(
            Builder::new(
                Rank::ALTER_SEQUENCE,
                format!("make {name} owned by {owner}.{}", o.column),
                vec![render::sequence_owned_by(s)],
            )
            .rollback(vec![render::sequence_owned_by(&Sequence {
                owned_by: None,
                ..s.clone()
            })])
            .needs_new([ObjectKey::rel(&owner), ObjectKey::rel(&name)])
            .lock(Lock::None)
            .done(),
        );
    }
    v
}

pub(super) fn drop_sequence(s: &Sequence) -> Step {
    let name = QualifiedName::new(&s.schema, &s.name);
    let mut create = vec![render::create_sequence(&Sequence {
        owned_by: None,
        ..s.clone()
    })];
    if s.owned_by.is_some() {
        create.push(render::sequence_owned_by(s));
    }
    Builder::new(
        Rank::DROP_SEQUENCE,
        format!("drop sequence {name}"),
        vec![render::drop_sequence_if_exists(s)],
    )
    .rollback(create)
    .note("a recreated sequence starts again from its start value")
    .removes([ObjectKey::rel(&name)])
    .done()
}

pub(super) fn alter_sequence(from: &Sequence, to: &Sequence) -> Step {
    let name = QualifiedName::new(&to.schema, &to.name);
    let mut sql = Vec::new();
    let mut back = Vec::new();
    if from.options != to.options {
        sql.push(render::alter_sequence_options(to));
        back.push(render::alter_sequence_options(from));
    }
    if from.owned_by != to.owned_by {
        sql.push(render::sequence_owned_by(to));
        back.push(render::sequence_owned_by(from));
    }
    let mut needs = BTreeSet::new();
    if let Some(o) = &to.owned_by {
        needs.insert(ObjectKey::rel(&QualifiedName::new(&o.schema, &o.table)));
    }
    Builder::new(Rank::ALTER_SEQUENCE, format!("alter sequence {name}"), sql)
        .rollback(back)
        .provides([ObjectKey::rel(&name)])
        .needs_new(needs)
        .lock(Lock::None)
        .done()
}
