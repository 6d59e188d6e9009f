//! Steps for indexes of tables (a materialized view's come with it).

use super::*;
use crate::render;

/// On an existing table, built `CONCURRENTLY` when the options say so.
pub(super) fn create_index(ctx: &Context, table: &QualifiedName, index: &Index, new_table: bool) -> Step {
    let concurrently = ctx.options.concurrently && !new_table;
    let sql = render::create_index(table, index, concurrently);
    let mut b = Builder::new(
        Rank::CREATE_INDEX,
        format!("create index {} on {table}", index.name),
        vec![sql.clone()],
    )
    .rollback(vec![render::drop_index(&table.schema, index, false)])
    .needs_new([ObjectKey::rel(table)])
    .needs_new(ctx.refs(&sql, true))
    .lock(if concurrently {
        Lock::ShareUpdateExclusive
    } else {
        Lock::Share
    });
    if index.unique {
        b = b.provides([ObjectKey::key(
            table,
            &index.keys.iter().map(|k| k.expression.clone()).collect::<Vec<_>>(),
        )]);
    }
    if concurrently {
        b.step.transactional = false;
        b = b.hazard(
            H::NotTransactional,
            "CREATE INDEX CONCURRENTLY runs outside a transaction; a failed build leaves an invalid index to drop",
        );
    } else if !new_table {
        b = b.hazard(
            H::LongRunning,
            format!("writes to {} wait while the index is built", ctx.sized(table)),
        );
    }
    if index.unique && !new_table {
        b = b
            .hazard(
                H::MayFailOnExistingData,
                format!("duplicate rows in {table} make the unique index fail"),
            )
            .data_check(DataCheck::Duplicates {
                table: table.clone(),
                keys: index.keys.iter().map(|k| k.expression.clone()).collect(),
                predicate: index.predicate.clone(),
                nulls_fail: false,
                nulls_not_distinct: index.nulls_not_distinct,
            });
    }
    b.done()
}

/// Dropped before what its expressions use; a unique index after the foreign keys that use it.
pub(super) fn drop_index(ctx: &Context, table: &QualifiedName, index: &Index) -> Step {
    let sql = render::create_index(table, index, false);
    let mut b = Builder::new(
        Rank::DROP_CONSTRAINT_OR_INDEX,
        format!("drop index {}.{}", table.schema, index.name),
        vec![render::drop_index(&table.schema, index, false)],
    )
    .needs_old(ctx.refs(&sql, false))
    .needs_old(ctx.recorded(&Dependent::Index {
        table: table.clone(),
        name: index.name.clone(),
    }))
    .rollback(vec![sql]);
    if index.unique {
        b = b.removes([ObjectKey::key(
            table,
            &index.keys.iter().map(|k| k.expression.clone()).collect::<Vec<_>>(),
        )]);
    }
    b.done()
}
