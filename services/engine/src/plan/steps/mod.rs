//! Each change as a step: SQL, rollback, hazards, lock, and the objects it needs.

use std::collections::{BTreeMap, BTreeSet};

use super::hazard::{Hazard, HazardKind as H, TableSize};
use super::{Lock, PlanOptions, Step};
use crate::diff::{Change, CommentTarget, Constraint, LabelPosition};
use crate::model::*;
use crate::render::{self, ident::qn, refs::qualified_names};

mod comments;
mod privileges;
mod table;
mod types;

use comments::*;
use table::*;
use types::*;

/// What a step creates, changes or drops, and what it needs, as object keys
/// (`rel:public.users`, `type:public.mood`, `shape:public.users`, …).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Deps {
    pub rank: u8,
    /// Objects that exist (in their new form) once the step has run.
    pub provides: BTreeSet<String>,
    /// Objects that must exist in their new form before the step.
    pub needs_new: BTreeSet<String>,
    /// Objects that no longer exist (in their old form) once the step has run.
    pub removes: BTreeSet<String>,
    /// Objects the step needs in their old form (it runs before they are removed).
    pub needs_old: BTreeSet<String>,
    /// New enum labels: commit before the next step so that they can be used.
    pub commit_after: bool,
}

/// The two snapshots and the options, with lookups the steps need.
pub(crate) struct Context<'a> {
    pub from: &'a Snapshot,
    pub to: &'a Snapshot,
    pub options: &'a PlanOptions,
    from_keys: BTreeMap<QualifiedName, String>,
    to_keys: BTreeMap<QualifiedName, String>,
}

fn keys_of(s: &Snapshot) -> BTreeMap<QualifiedName, String> {
    let mut m = BTreeMap::new();
    let q = |schema: &str, name: &str| QualifiedName::new(schema, name);
    for e in &s.enums {
        m.insert(q(&e.schema, &e.name), format!("type:{}.{}", e.schema, e.name));
    }
    for d in &s.domains {
        m.insert(q(&d.schema, &d.name), format!("type:{}.{}", d.schema, d.name));
    }
    for c in &s.composite_types {
        m.insert(q(&c.schema, &c.name), format!("type:{}.{}", c.schema, c.name));
    }
    for t in &s.tables {
        m.insert(t.qualified(), format!("rel:{}.{}", t.schema, t.name));
    }
    for v in &s.views {
        m.insert(q(&v.schema, &v.name), format!("rel:{}.{}", v.schema, v.name));
    }
    for v in &s.materialized_views {
        m.insert(q(&v.schema, &v.name), format!("rel:{}.{}", v.schema, v.name));
    }
    for x in &s.sequences {
        m.insert(q(&x.schema, &x.name), format!("rel:{}.{}", x.schema, x.name));
    }
    for f in &s.functions {
        m.insert(q(&f.schema, &f.name), format!("func:{}.{}", f.schema, f.name));
    }
    m
}

impl<'a> Context<'a> {
    pub fn new(from: &'a Snapshot, to: &'a Snapshot, options: &'a PlanOptions) -> Self {
        Self {
            from,
            to,
            options,
            from_keys: keys_of(from),
            to_keys: keys_of(to),
        }
    }

    /// Keys of the objects a text names, in TO (`new`) or FROM.
    fn refs(&self, text: &str, new: bool) -> BTreeSet<String> {
        let keys = if new { &self.to_keys } else { &self.from_keys };
        qualified_names(text)
            .iter()
            .filter_map(|q| keys.get(q).cloned())
            .collect()
    }

    fn size(&self, table: &QualifiedName) -> Option<TableSize> {
        self.options.sizes.get(table).copied()
    }

    fn sized(&self, table: &QualifiedName) -> String {
        match self.size(table) {
            Some(s) => format!("{table} ({})", s.describe()),
            None => table.to_string(),
        }
    }

    fn is_big(&self, table: &QualifiedName) -> bool {
        self.size(table).is_some_and(|s| s.is_big())
    }

    fn table_exists_before(&self, table: &QualifiedName) -> bool {
        self.from.tables.iter().any(|t| &t.qualified() == table)
    }

    /// Columns of TO (`new`) or FROM tables whose type is the given type (or an array of it).
    fn columns_of_type(&self, ty: &QualifiedName, new: bool) -> Vec<(QualifiedName, Column)> {
        let s = if new { self.to } else { self.from };
        let mut out = Vec::new();
        for t in &s.tables {
            for c in &t.columns {
                if qualified_names(&c.data_type).contains(ty) {
                    out.push((t.qualified(), c.clone()));
                }
            }
        }
        out
    }
}

fn join(statements: &[String]) -> String {
    statements
        .iter()
        .map(|s| format!("{};", s.trim_end().trim_end_matches(';')))
        .collect::<Vec<_>>()
        .join("\n")
}

struct Builder {
    step: Step,
}

impl Builder {
    fn new(rank: u8, description: String, sql: Vec<String>) -> Self {
        Self {
            step: Step {
                id: 0,
                description,
                sql: join(&sql),
                rollback_sql: None,
                rollback_note: None,
                hazards: Vec::new(),
                transactional: true,
                lock: Lock::AccessExclusive,
                deps: Deps {
                    rank,
                    ..Deps::default()
                },
            },
        }
    }
    fn rollback(mut self, sql: Vec<String>) -> Self {
        self.step.rollback_sql = if sql.is_empty() { None } else { Some(join(&sql)) };
        self
    }
    fn note(mut self, note: impl Into<String>) -> Self {
        self.step.rollback_note = Some(note.into());
        self
    }
    fn hazard(mut self, kind: H, message: impl Into<String>) -> Self {
        self.step.hazards.push(Hazard::new(kind, message));
        self
    }
    fn hazards(mut self, hazards: Vec<Hazard>) -> Self {
        self.step.hazards.extend(hazards);
        self
    }
    fn lock(mut self, lock: Lock) -> Self {
        self.step.lock = lock;
        self
    }
    fn provides(mut self, k: impl IntoIterator<Item = String>) -> Self {
        self.step.deps.provides.extend(k);
        self
    }
    fn needs_new(mut self, k: impl IntoIterator<Item = String>) -> Self {
        self.step.deps.needs_new.extend(k);
        self
    }
    fn removes(mut self, k: impl IntoIterator<Item = String>) -> Self {
        self.step.deps.removes.extend(k);
        self
    }
    fn needs_old(mut self, k: impl IntoIterator<Item = String>) -> Self {
        self.step.deps.needs_old.extend(k);
        self
    }
    fn done(self) -> Step {
        self.step
    }
}

fn rel(q: &QualifiedName) -> String {
    format!("rel:{}.{}", q.schema, q.name)
}
fn shape(q: &QualifiedName) -> String {
    format!("shape:{}.{}", q.schema, q.name)
}
fn type_key(schema: &str, name: &str) -> String {
    format!("type:{schema}.{name}")
}
fn key_of(table: &QualifiedName, columns: &[String]) -> String {
    format!("key:{}.{}({})", table.schema, table.name, columns.join(","))
}

fn column_refs(ctx: &Context, c: &Column, new: bool) -> BTreeSet<String> {
    let mut r = ctx.refs(&c.data_type, new);
    for e in [&c.default, &c.generated].into_iter().flatten() {
        r.extend(ctx.refs(e, new));
    }
    r
}

/// Every change as a step (label additions of one enum share one step).
pub(crate) fn steps(ctx: &Context, changes: &[Change]) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < changes.len() {
        if let Change::AddEnumLabel { name, .. } = &changes[i] {
            let mut j = i;
            while j < changes.len() && matches!(&changes[j], Change::AddEnumLabel { name: n, .. } if n == name) {
                j += 1;
            }
            out.push(enum_labels(ctx, name, &changes[i..j]));
            i = j;
            continue;
        }
        let mut made = step(ctx, &changes[i]);
        let extra = restore_extras(&changes[i]);
        if let (Some(last), false) = (made.first_mut(), extra.is_empty()) {
            let mut back = last.rollback_sql.take().unwrap_or_default();
            back.push('\n');
            back.push_str(&join(&extra));
            last.rollback_sql = Some(back.trim_start().to_string());
        }
        out.extend(made);
        i += 1;
    }
    out
}

fn step(ctx: &Context, change: &Change) -> Vec<Step> {
    let one = |b: Builder| vec![b.done()];
    match change {
        Change::CreateSchema(s) => {
            one(
                Builder::new(5, format!("create schema {}", s.name), vec![render::create_schema(s)])
                    .rollback(vec![render::drop_schema(s)])
                    .provides([format!("schema:{}", s.name)])
                    .lock(Lock::None),
            )
        }
        Change::DropSchema(s) => one(
            Builder::new(25, format!("drop schema {}", s.name), vec![render::drop_schema(s)])
                .rollback(vec![render::create_schema(s)])
                .removes([format!("schema:{}", s.name)])
                .hazard(H::DataLoss, format!("drops schema {}", s.name))
                .lock(Lock::AccessExclusive),
        ),
        Change::CreateExtension(e) => one(Builder::new(
            6,
            format!("create extension {}", e.name),
            vec![render::create_extension(e)],
        )
        .rollback(vec![render::drop_extension(e)])
        .hazards(privileges::extension_hazards(e))
        .provides([format!("ext:{}", e.name)])
        .needs_new([format!("schema:{}", e.schema)])
        .lock(Lock::None)),
        Change::DropExtension(e) => one(Builder::new(
            24,
            format!("drop extension {}", e.name),
            vec![render::drop_extension(e)],
        )
        .rollback(vec![render::create_extension(e)])
        .removes([format!("ext:{}", e.name)])
        .hazard(H::DataLoss, format!("drops extension {} and its objects", e.name))),
        Change::CreateEnum(e) => one(Builder::new(
            7,
            format!("create enum {}.{}", e.schema, e.name),
            vec![render::create_enum(e)],
        )
        .rollback(vec![render::drop_type(&e.schema, &e.name)])
        .provides([type_key(&e.schema, &e.name)])
        .needs_new([format!("schema:{}", e.schema)])
        .lock(Lock::None)),
        Change::DropEnum(e) => one(Builder::new(
            23,
            format!("drop enum {}.{}", e.schema, e.name),
            vec![render::drop_type(&e.schema, &e.name)],
        )
        .rollback(vec![render::create_enum(e)])
        .hazard(
            H::DropsObject,
            format!(
                "drops type {}.{}: queries and functions that still name it fail",
                e.schema, e.name
            ),
        )
        .removes([type_key(&e.schema, &e.name)])),
        Change::AddEnumLabel { name, .. } => vec![enum_labels(ctx, name, std::slice::from_ref(change))],
        Change::ReplaceEnum { from, to } => {
            let name = QualifiedName::new(&to.schema, &to.name);
            let cols = ctx.columns_of_type(&name, false);
            let new_defaults = defaults_in(ctx.to, &cols);
            let old_defaults = defaults_in(ctx.from, &cols);
            let removed: Vec<&String> = from.labels.iter().filter(|l| !to.labels.contains(l)).collect();
            let mut b = Builder::new(
                12,
                format!("replace enum {name} (labels {:?} → {:?})", from.labels, to.labels),
                swap_enum(from, to, &cols, &new_defaults),
            )
            .rollback(swap_enum(to, from, &cols, &old_defaults))
            .provides([type_key(&to.schema, &to.name)])
            .removes([type_key(&to.schema, &to.name)]);
            for (t, _) in &cols {
                b = b.provides([shape(t)]).removes([shape(t)]);
                b = b.hazard(
                    H::TableRewrite,
                    format!("rewrites {} to cast its {name} column", ctx.sized(t)),
                );
            }
            if !removed.is_empty() {
                b = b
                    .hazard(H::DataLoss, format!("labels {removed:?} of {name} disappear"))
                    .hazard(
                        H::MayFailOnExistingData,
                        format!("rows holding the labels {removed:?} make the cast fail"),
                    );
            }
            one(b)
        }
        Change::CreateDomain(d) => one(Builder::new(
            7,
            format!("create domain {}.{}", d.schema, d.name),
            vec![render::create_domain(d)],
        )
        .rollback(vec![render::drop_type(&d.schema, &d.name)])
        .provides([type_key(&d.schema, &d.name)])
        .needs_new(ctx.refs(&d.base_type, true))
        .lock(Lock::None)),
        Change::DropDomain(d) => one(Builder::new(
            23,
            format!("drop domain {}.{}", d.schema, d.name),
            vec![format!("DROP DOMAIN {}", render::ident::qualified(&d.schema, &d.name))],
        )
        .rollback(vec![render::create_domain(d)])
        .removes([type_key(&d.schema, &d.name)])),
        Change::AlterDomain { from, to } => {
            let mut b = Builder::new(
                7,
                format!("alter domain {}.{}", to.schema, to.name),
                render::alter_domain(from, to),
            )
            .rollback(render::alter_domain(to, from))
            .provides([type_key(&to.schema, &to.name)]);
            if (to.not_null && !from.not_null) || to.checks.iter().any(|c| !from.checks.contains(c)) {
                b = b.hazard(
                    H::MayFailOnExistingData,
                    "columns of the domain are checked against the new constraints",
                );
            }
            one(b)
        }
        Change::CreateCompositeType(c) => one(Builder::new(
            7,
            format!("create type {}.{}", c.schema, c.name),
            vec![render::create_composite(c)],
        )
        .rollback(vec![render::drop_type(&c.schema, &c.name)])
        .provides([type_key(&c.schema, &c.name)])
        .needs_new(
            c.attributes
                .iter()
                .flat_map(|a| ctx.refs(&a.data_type, true))
                .collect::<Vec<_>>(),
        )
        .lock(Lock::None)),
        Change::DropCompositeType(c) => one(Builder::new(
            23,
            format!("drop type {}.{}", c.schema, c.name),
            vec![render::drop_type(&c.schema, &c.name)],
        )
        .rollback(vec![render::create_composite(c)])
        .removes([type_key(&c.schema, &c.name)])),
        Change::CreateSequence(s) => {
            let name = QualifiedName::new(&s.schema, &s.name);
            let mut v = vec![
                Builder::new(8, format!("create sequence {name}"), vec![render::create_sequence(s)])
                    .rollback(vec![format!("DROP SEQUENCE IF EXISTS {}", qn(&name))])
                    .provides([rel(&name)])
                    .needs_new([format!("schema:{}", s.schema)])
                    .lock(Lock::None)
                    .done(),
            ];
            if let Some(o) = &s.owned_by {
                let owner = QualifiedName::new(&o.schema, &o.table);
                v.push(
                    Builder::new(
                        16,
                        format!("make {name} owned by {owner}.{}", o.column),
                        vec![render::sequence_owned_by(s)],
                    )
                    .rollback(vec![render::sequence_owned_by(&Sequence {
                        owned_by: None,
                        ..s.clone()
                    })])
                    .needs_new([rel(&owner), rel(&name)])
                    .lock(Lock::None)
                    .done(),
                );
            }
            v
        }
        Change::DropSequence(s) => {
            let name = QualifiedName::new(&s.schema, &s.name);
            let mut create = vec![render::create_sequence(&Sequence {
                owned_by: None,
                ..s.clone()
            })];
            if s.owned_by.is_some() {
                create.push(render::sequence_owned_by(s));
            }
            one(Builder::new(
                22,
                format!("drop sequence {name}"),
                vec![format!("DROP SEQUENCE IF EXISTS {}", qn(&name))],
            )
            .rollback(create)
            .note("a recreated sequence starts again from its start value")
            .removes([rel(&name)]))
        }
        Change::AlterSequence { from, to } => {
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
                needs.insert(rel(&QualifiedName::new(&o.schema, &o.table)));
            }
            one(Builder::new(16, format!("alter sequence {name}"), sql)
                .rollback(back)
                .provides([rel(&name)])
                .needs_new(needs)
                .lock(Lock::None))
        }
        Change::CreateTable(t) => create_table(ctx, t),
        Change::DropTable(t) => {
            let name = t.qualified();
            let mut needs_old: BTreeSet<String> = t.columns.iter().flat_map(|c| column_refs(ctx, c, false)).collect();
            if let Some(p) = &t.partition_of {
                needs_old.insert(rel(&p.parent));
            }
            // Policies and checks that read other tables go with this one, before those.
            for e in t.policies.iter().flat_map(|p| [&p.using, &p.with_check]).flatten() {
                needs_old.extend(ctx.refs(e, false));
            }
            for c in &t.check_constraints {
                needs_old.extend(ctx.refs(&c.expression, false));
            }
            needs_old.remove(&rel(&name));
            let owned: Vec<&Sequence> = ctx
                .from
                .sequences
                .iter()
                .filter(|s| {
                    s.owned_by
                        .as_ref()
                        .is_some_and(|o| o.schema == t.schema && o.table == t.name)
                })
                .collect();
            let mut b = Builder::new(4, format!("drop table {name}"), vec![render::drop_table(t)])
                .rollback(recreate_table(t, &owned))
                .note(format!(
                    "the rollback recreates {name} (foreign keys come back with their own steps) but not its rows"
                ))
                .removes([rel(&name), shape(&name)])
                .removes(owned.iter().map(|s| rel(&QualifiedName::new(&s.schema, &s.name))))
                .needs_old(needs_old)
                .hazard(H::DataLoss, format!("drops {} with its rows", ctx.sized(&name)));
            if t.partition_by.is_some() {
                b = b.hazard(H::DataLoss, "drops every partition of the table");
            }
            one(b)
        }
        Change::AddColumn { table, column } => {
            let mut b = Builder::new(
                11,
                format!("add column {table}.{}", column.name),
                vec![render::add_column(table, column)],
            )
            .rollback(vec![render::drop_column(table, column)])
            .note(format!(
                "the rollback drops {table}.{} with what was written to it",
                column.name
            ))
            .provides([
                shape(table),
                format!("col:{}.{}.{}", table.schema, table.name, column.name),
            ])
            .needs_new(column_refs(ctx, column, true));
            let volatile = column.identity.is_some()
                || column.generated.is_some()
                || column.default.as_deref().is_some_and(|d| {
                    [
                        "nextval(",
                        "random(",
                        "gen_random_uuid(",
                        "uuid_generate",
                        "clock_timestamp(",
                    ]
                    .iter()
                    .any(|f| d.contains(f))
                });
            if volatile {
                b = b
                    .hazard(
                        H::TableRewrite,
                        format!("rewrites {} to fill the new column", ctx.sized(table)),
                    )
                    .hazard(
                        H::AccessExclusiveLock,
                        format!("{table} is locked while it is rewritten"),
                    );
            }
            if column.not_null && column.default.is_none() && column.identity.is_none() && column.generated.is_none() {
                b = b.hazard(
                    H::MayFailOnExistingData,
                    format!("{table} must be empty: the new column is NOT NULL without a default"),
                );
            }
            one(b)
        }
        Change::DropColumn { table, column } => one(Builder::new(
            11,
            format!("drop column {table}.{}", column.name),
            vec![render::drop_column(table, column)],
        )
        .rollback(vec![render::add_column(
            table,
            // NOT NULL comes back only where a default or identity fills the existing rows.
            &Column {
                not_null: column.not_null && (column.default.is_some() || column.identity.is_some()),
                ..column.clone()
            },
        )])
        .note(format!(
            "the rollback adds {table}.{} back empty (and nullable): its values are lost",
            column.name
        ))
        .removes([shape(table)])
        .needs_old(column_refs(ctx, column, false))
        .hazard(
            H::DataLoss,
            format!("drops column {}.{} and its values", ctx.sized(table), column.name),
        )),
        Change::AlterColumn { table, from, to } => alter_column(ctx, table, from, to),
        Change::AddConstraint {
            table,
            constraint,
            new_table,
        } => add_constraint(ctx, table, constraint, *new_table),
        Change::DropConstraint { table, constraint } => {
            let mut b = Builder::new(
                if matches!(constraint, Constraint::ForeignKey(_)) {
                    2
                } else {
                    3
                },
                format!("drop constraint {} on {table}", constraint.name()),
                vec![render::drop_constraint(table, constraint)],
            )
            .rollback(render::add_constraint(table, constraint, false));
            match constraint {
                Constraint::PrimaryKey(k) => b = b.removes([key_of(table, &k.columns)]),
                Constraint::Unique(k) => b = b.removes([key_of(table, &k.columns)]),
                Constraint::ForeignKey(f) => {
                    b = b.needs_old([key_of(&f.references, &f.referenced_columns), rel(&f.references)])
                }
                _ => {}
            }
            one(b)
        }
        Change::CreateIndex {
            table,
            index,
            new_table,
        } => {
            let concurrently = ctx.options.concurrently && !new_table;
            let mut b = Builder::new(
                14,
                format!("create index {} on {table}", index.name),
                vec![render::create_index(table, index, concurrently)],
            )
            .rollback(vec![render::drop_index(&table.schema, index, false)])
            .needs_new([rel(table)])
            .lock(if concurrently {
                Lock::ShareUpdateExclusive
            } else {
                Lock::Share
            });
            if index.unique {
                b = b.provides([key_of(
                    table,
                    &index.keys.iter().map(|k| k.expression.clone()).collect::<Vec<_>>(),
                )]);
            }
            if concurrently {
                b.step.transactional = false;
                b = b.hazard(H::NotTransactional, "CREATE INDEX CONCURRENTLY runs outside a transaction; a failed build leaves an invalid index to drop");
            } else if !new_table {
                b = b.hazard(
                    H::LongRunning,
                    format!("writes to {} wait while the index is built", ctx.sized(table)),
                );
            }
            if index.unique && !new_table {
                b = b.hazard(
                    H::MayFailOnExistingData,
                    format!("duplicate rows in {table} make the unique index fail"),
                );
            }
            one(b)
        }
        Change::DropIndex { table, index } => one(Builder::new(
            3,
            format!("drop index {}.{}", table.schema, index.name),
            vec![render::drop_index(&table.schema, index, false)],
        )
        .rollback(vec![render::create_index(table, index, false)])),
        Change::SetRowSecurity { table, from, to } => one(Builder::new(
            19,
            format!("set row-level security on {table}"),
            render::set_row_security(table, *from, *to),
        )
        .rollback(render::set_row_security(table, *to, *from))
        .hazards(privileges::row_security_hazards(table, *from, *to))
        .needs_new([rel(table)])),
        Change::SetTableOptions { table, from, to } => one(Builder::new(
            19,
            format!("set storage parameters of {table}"),
            render::set_table_options(table, from, to),
        )
        .rollback(render::set_table_options(table, to, from))
        .needs_new([rel(table)])
        .lock(Lock::ShareUpdateExclusive)),
        Change::CreatePolicy { table, policy } => {
            let mut needs: BTreeSet<String> = [rel(table)].into();
            for e in [&policy.using, &policy.with_check].into_iter().flatten() {
                needs.extend(ctx.refs(e, true));
            }
            one(Builder::new(
                19,
                format!("create policy {} on {table}", policy.name),
                vec![render::create_policy(table, policy)],
            )
            .rollback(vec![render::drop_policy(table, policy)])
            .needs_new(needs))
        }
        Change::DropPolicy { table, policy } => one(Builder::new(
            0,
            format!("drop policy {} on {table}", policy.name),
            vec![render::drop_policy(table, policy)],
        )
        .rollback(vec![render::create_policy(table, policy)])
        .hazards(privileges::policy_drop_hazards(
            table,
            policy,
            ctx.to
                .tables
                .iter()
                .any(|t| &t.qualified() == table && t.row_security.enabled),
        ))),
        Change::CreateTrigger { table, trigger } => {
            let mut needs = ctx.refs(&trigger.definition, true);
            needs.insert(rel(table));
            one(Builder::new(
                18,
                format!("create trigger {} on {table}", trigger.name),
                vec![render::create_trigger(trigger)],
            )
            .rollback(vec![render::drop_trigger(table, trigger)])
            .needs_new(needs)
            .lock(Lock::ShareRowExclusive))
        }
        Change::DropTrigger { table, trigger } => one(Builder::new(
            0,
            format!("drop trigger {} on {table}", trigger.name),
            vec![render::drop_trigger(table, trigger)],
        )
        .rollback(vec![render::create_trigger(trigger)])
        .lock(Lock::ShareRowExclusive)),
        Change::SetTriggerEnabled { table, name, from, to } => one(Builder::new(
            18,
            format!("set trigger {name} on {table} to {to:?}"),
            vec![render::set_trigger_enabled(table, name, *to)],
        )
        .rollback(vec![render::set_trigger_enabled(table, name, *from)])
        .lock(Lock::ShareRowExclusive)),
        Change::CreateView(v) => {
            let name = QualifiedName::new(&v.schema, &v.name);
            let refs = ctx.refs(&v.definition, true);
            let shapes: Vec<String> = refs
                .iter()
                .filter_map(|r| r.strip_prefix("rel:"))
                .map(|r| format!("shape:{r}"))
                .collect();
            one(
                Builder::new(17, format!("create view {name}"), vec![render::create_view(v)])
                    .rollback(vec![render::drop_view(v)])
                    .provides([rel(&name)])
                    .needs_new(refs.into_iter().chain(shapes).filter(|k| k != &rel(&name)))
                    .lock(Lock::None),
            )
        }
        Change::DropView(v) => {
            let name = QualifiedName::new(&v.schema, &v.name);
            let refs = ctx.refs(&v.definition, false);
            let shapes: Vec<String> = refs
                .iter()
                .filter_map(|r| r.strip_prefix("rel:"))
                .map(|r| format!("shape:{r}"))
                .collect();
            one(Builder::new(1, format!("drop view {name}"), vec![render::drop_view(v)])
                .rollback(vec![render::create_view(v)])
                .removes([rel(&name)])
                .needs_old(refs.into_iter().chain(shapes).filter(|k| k != &rel(&name))))
        }
        Change::CreateMaterializedView(v) => {
            let name = QualifiedName::new(&v.schema, &v.name);
            let refs = ctx.refs(&v.definition, true);
            let shapes: Vec<String> = refs
                .iter()
                .filter_map(|r| r.strip_prefix("rel:"))
                .map(|r| format!("shape:{r}"))
                .collect();
            let mut sql = vec![render::create_materialized_view(v)];
            sql.extend(v.indexes.iter().map(|ix| render::create_index(&name, ix, false)));
            one(Builder::new(17, format!("create materialized view {name}"), sql)
                .rollback(vec![render::drop_materialized_view(v)])
                .provides([rel(&name)])
                .needs_new(refs.into_iter().chain(shapes).filter(|k| k != &rel(&name)))
                .hazard(H::LongRunning, format!("{name} is filled by running its query"))
                .lock(Lock::None))
        }
        Change::DropMaterializedView(v) => {
            let name = QualifiedName::new(&v.schema, &v.name);
            let refs = ctx.refs(&v.definition, false);
            let shapes: Vec<String> = refs
                .iter()
                .filter_map(|r| r.strip_prefix("rel:"))
                .map(|r| format!("shape:{r}"))
                .collect();
            let mut back = vec![render::create_materialized_view(v)];
            back.extend(v.indexes.iter().map(|ix| render::create_index(&name, ix, false)));
            one(Builder::new(
                1,
                format!("drop materialized view {name}"),
                vec![render::drop_materialized_view(v)],
            )
            .rollback(back)
            .removes([rel(&name)])
            .needs_old(refs.into_iter().chain(shapes).filter(|k| k != &rel(&name))))
        }
        Change::CreateFunction(f) => one(Builder::new(
            9,
            format!("create {} {}.{}({})", kind(f), f.schema, f.name, f.arguments),
            vec![render::create_function(f)],
        )
        .rollback(vec![render::drop_function(f)])
        .hazards(privileges::function_hazards(ctx, f, None))
        .provides([format!("func:{}.{}", f.schema, f.name)])
        .needs_new(
            ctx.refs(f.result.as_deref().unwrap_or(""), true)
                .into_iter()
                .chain(ctx.refs(&f.arguments, true)),
        )
        .lock(Lock::None)),
        Change::ReplaceFunction { from, to } => one(Builder::new(
            9,
            format!("replace {} {}.{}({})", kind(to), to.schema, to.name, to.arguments),
            vec![render::create_function(to)],
        )
        .rollback(vec![render::create_function(from)])
        .hazards(privileges::function_hazards(ctx, to, Some(from)))
        .provides([format!("func:{}.{}", to.schema, to.name)])
        .lock(Lock::None)),
        Change::DropFunction(f) => one(Builder::new(
            21,
            format!("drop {} {}.{}({})", kind(f), f.schema, f.name, f.arguments),
            vec![render::drop_function(f)],
        )
        .rollback(vec![render::create_function(f)])
        .removes([format!("func:{}.{}", f.schema, f.name)])
        .lock(Lock::None)),
        Change::SetComment { target, from, to } => one(Builder::new(
            20,
            format!("comment on {}", describe_target(target)),
            vec![render::comment(target, to.as_deref())],
        )
        .rollback(vec![render::comment(target, from.as_deref())])
        .lock(Lock::None)),
    }
}

fn kind(f: &Function) -> &'static str {
    if f.kind == FunctionKind::Procedure {
        "procedure"
    } else {
        "function"
    }
}
