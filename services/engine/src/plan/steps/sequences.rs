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

/// Whether the column owning a sequence stays: when it goes too, its undo makes the sequence
/// owned again (see [`restore_ownership`]).
fn owner_stays(ctx: &Context, s: &Sequence) -> bool {
    s.owned_by.as_ref().is_some_and(|o| {
        ctx.to
            .tables
            .iter()
            .any(|t| t.schema == o.schema && t.name == o.table && t.column(&o.column).is_some())
    })
}

pub(super) fn drop_sequence(ctx: &Context, s: &Sequence) -> Step {
    let name = QualifiedName::new(&s.schema, &s.name);
    let mut create = vec![render::create_sequence(&Sequence {
        owned_by: None,
        ..s.clone()
    })];
    if owner_stays(ctx, s) {
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
    let mut restarts = false;
    if from.options != to.options {
        sql.push(render::alter_sequence_options(&from.options, to));
        back.push(render::alter_sequence_options(&to.options, from));
        restarts = render::needs_restart(&from.options, &to.options);
    }
    if from.owned_by != to.owned_by {
        sql.push(render::sequence_owned_by(to));
        back.push(render::sequence_owned_by(from));
    }
    let mut needs = BTreeSet::new();
    if let Some(o) = &to.owned_by {
        needs.insert(ObjectKey::rel(&QualifiedName::new(&o.schema, &o.table)));
    }
    let mut b = Builder::new(Rank::ALTER_SEQUENCE, format!("alter sequence {name}"), sql)
        .rollback(back)
        .provides([ObjectKey::rel(&name)])
        .needs_new(needs)
        .lock(Lock::None);
    if restarts {
        b = b.hazard(H::MayFailOnExistingData, restart_hazard(&name, to.options.start));
    }
    b.done()
}

/// What restarting a sequence may do to the rows that hold its numbers.
pub(super) fn restart_hazard(name: &impl std::fmt::Display, start: i64) -> String {
    format!(
        "restarts {name} at {start} (its range no longer holds its old start): numbers it gave before may come again, and inserts then fail on unique keys"
    )
}

/// The undo of a dropped table or column makes the sequences it owned owned again (they are
/// created again before it, by the undo of their own drop).
pub(super) fn restore_ownership(ctx: &Context, change: &Change) -> Vec<String> {
    let owned = |table: &QualifiedName, column: Option<&str>| -> Vec<String> {
        ctx.from
            .sequences
            .iter()
            .filter(|s| {
                s.owned_by.as_ref().is_some_and(|o| {
                    o.schema == table.schema && o.table == table.name && column.is_none_or(|c| c == o.column)
                }) && !owner_stays(ctx, s)
            })
            .map(render::sequence_owned_by)
            .collect()
    };
    match change {
        Change::DropTable(t) => owned(&t.qualified(), None),
        Change::DropColumn { table, column } => owned(table, Some(&column.name)),
        _ => Vec::new(),
    }
}
