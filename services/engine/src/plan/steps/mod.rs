//! Each change as a step: SQL, rollback, hazards, lock, and the objects it needs.

use std::collections::{BTreeMap, BTreeSet};

use super::hazard::{Hazard, HazardKind as H, TableSize};
use super::{DataCheck, Lock, PlanOptions, Step};
use crate::diff::Change;
use crate::model::*;
use crate::render::refs::qualified_names;

mod columns;
mod comments;
mod constraints;
mod default_privileges;
mod enums;
mod escalation;
mod functions;
mod grants;
mod indexes;
mod keys;
mod namespaces;
mod owners;
mod policies;
mod sequences;
mod table;
mod triggers;
mod types;
mod views;

pub(crate) use keys::{ObjectKey, Rank};

/// What a step creates, changes or drops, and what it needs, as [`ObjectKey`]s
/// (`rel:public.users`, `type:public.mood`, `shape:public.users`, …).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Deps {
    pub rank: Rank,
    /// Objects that exist (in their new form) once the step has run.
    pub provides: BTreeSet<ObjectKey>,
    /// Objects that must exist in their new form before the step.
    pub needs_new: BTreeSet<ObjectKey>,
    /// Objects that no longer exist (in their old form) once the step has run.
    pub removes: BTreeSet<ObjectKey>,
    /// Objects the step needs in their old form (it runs before they are removed).
    pub needs_old: BTreeSet<ObjectKey>,
}

/// The two snapshots and the options, with lookups the steps need.
pub(crate) struct Context<'a> {
    pub from: &'a Snapshot,
    pub to: &'a Snapshot,
    pub options: &'a PlanOptions,
    from_keys: BTreeMap<QualifiedName, ObjectKey>,
    to_keys: BTreeMap<QualifiedName, ObjectKey>,
    /// Views and materialized views the changes drop (to create again, or not).
    dropped_views: BTreeSet<QualifiedName>,
    /// The tables whose sizes the steps looked up (see [`super::sized_tables`]).
    pub sized: std::cell::RefCell<BTreeSet<QualifiedName>>,
}

fn keys_of(s: &Snapshot) -> BTreeMap<QualifiedName, ObjectKey> {
    let mut m = BTreeMap::new();
    let q = |schema: &str, name: &str| QualifiedName::new(schema, name);
    for e in &s.enums {
        m.insert(q(&e.schema, &e.name), ObjectKey::type_of(&e.schema, &e.name));
    }
    for d in &s.domains {
        m.insert(q(&d.schema, &d.name), ObjectKey::type_of(&d.schema, &d.name));
    }
    for c in &s.collations {
        m.insert(q(&c.schema, &c.name), ObjectKey::Collation(q(&c.schema, &c.name)));
    }
    for c in &s.composite_types {
        m.insert(q(&c.schema, &c.name), ObjectKey::type_of(&c.schema, &c.name));
    }
    for t in &s.tables {
        m.insert(t.qualified(), ObjectKey::rel(&t.qualified()));
    }
    for v in &s.views {
        m.insert(q(&v.schema, &v.name), ObjectKey::rel(&q(&v.schema, &v.name)));
    }
    for v in &s.materialized_views {
        m.insert(q(&v.schema, &v.name), ObjectKey::rel(&q(&v.schema, &v.name)));
    }
    for x in &s.sequences {
        m.insert(q(&x.schema, &x.name), ObjectKey::rel(&q(&x.schema, &x.name)));
    }
    for f in &s.functions {
        m.insert(q(&f.schema, &f.name), ObjectKey::func(&f.schema, &f.name));
    }
    m
}

impl<'a> Context<'a> {
    pub fn new(from: &'a Snapshot, to: &'a Snapshot, options: &'a PlanOptions, changes: &[Change]) -> Self {
        let dropped_views = changes.iter().filter_map(Change::dropped_view).collect();
        Self {
            from,
            to,
            options,
            from_keys: keys_of(from),
            to_keys: keys_of(to),
            dropped_views,
            sized: Default::default(),
        }
    }

    /// Keys of the objects a text names, in TO (`new`) or FROM.
    fn refs(&self, text: &str, new: bool) -> BTreeSet<ObjectKey> {
        let keys = if new { &self.to_keys } else { &self.from_keys };
        qualified_names(text)
            .iter()
            .filter_map(|q| keys.get(q).cloned())
            .collect()
    }

    /// Keys of what PostgreSQL recorded that an object of FROM uses, when FROM was read live
    /// (nothing otherwise): with the keys its text names, what its drop runs before. A column
    /// read is the shape of its relation for the objects PostgreSQL does not let a column change
    /// type or go under (views, functions, generation expressions, triggers, policies).
    fn recorded(&self, who: &Dependent) -> BTreeSet<ObjectKey> {
        let Some(refs) = self.from.dependencies.of(who) else {
            return BTreeSet::new();
        };
        let shapes = who.holds_its_columns();
        let mut out = BTreeSet::new();
        for r in refs {
            let Some(key) = self.from_keys.get(r.object()) else {
                continue;
            };
            if shapes && matches!((r, key), (Referenced::Column { .. }, ObjectKey::Rel(_))) {
                out.insert(ObjectKey::shape(r.object()));
            }
            out.insert(key.clone());
        }
        out
    }

    fn size(&self, table: &QualifiedName) -> Option<TableSize> {
        if !self.sized.borrow().contains(table) {
            self.sized.borrow_mut().insert(table.clone());
        }
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
    fn new(rank: Rank, description: String, sql: Vec<String>) -> Self {
        Self {
            step: Step {
                id: 0,
                description,
                sql: join(&sql),
                rollback_sql: None,
                rollback_note: None,
                hazards: Vec::new(),
                data_checks: Vec::new(),
                transactional: true,
                lock: Lock::AccessExclusive,
                commit_after: false,
                for_role: None,
                rollback_for_role: None,
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
    /// The rows to count before the step runs (with its `may_fail_on_existing_data` hazard).
    fn data_check(mut self, check: DataCheck) -> Self {
        self.step.data_checks.push(check);
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
    fn provides(mut self, k: impl IntoIterator<Item = ObjectKey>) -> Self {
        self.step.deps.provides.extend(k);
        self
    }
    fn needs_new(mut self, k: impl IntoIterator<Item = ObjectKey>) -> Self {
        self.step.deps.needs_new.extend(k);
        self
    }
    fn removes(mut self, k: impl IntoIterator<Item = ObjectKey>) -> Self {
        self.step.deps.removes.extend(k);
        self
    }
    fn needs_old(mut self, k: impl IntoIterator<Item = ObjectKey>) -> Self {
        self.step.deps.needs_old.extend(k);
        self
    }
    fn done(self) -> Step {
        self.step
    }
}

fn column_refs(ctx: &Context, c: &Column, new: bool) -> BTreeSet<ObjectKey> {
    let mut r = ctx.refs(&c.data_type, new);
    if let Some(collation) = &c.collation {
        r.extend(ctx.refs(collation, new));
    }
    for e in [&c.default, &c.generated].into_iter().flatten() {
        r.extend(ctx.refs(e, new));
    }
    r
}

/// What a column of FROM uses (its type, collation, default or generation expression), by
/// its texts and by what PostgreSQL recorded: dropped or changed before those go.
fn old_column_refs(ctx: &Context, table: &QualifiedName, c: &Column) -> BTreeSet<ObjectKey> {
    let mut r = column_refs(ctx, c, false);
    // The record is of FROM's expression: not of a state a column passes through on its way
    // (its default dropped first, say).
    let expression = |x: &Column| (x.default.clone(), x.generated.clone());
    let recorded_as = ctx
        .from
        .tables
        .iter()
        .find(|t| &t.qualified() == table)
        .and_then(|t| t.column(&c.name))
        .is_some_and(|x| expression(x) == expression(c) && (x.default.is_some() || x.generated.is_some()));
    if recorded_as {
        r.extend(ctx.recorded(&Dependent::ColumnExpression {
            table: table.clone(),
            column: c.name.clone(),
        }));
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
            out.push(enums::enum_labels(ctx, name, &changes[i..j]));
            i = j;
            continue;
        }
        let mut made = step(ctx, &changes[i]);
        // The rollback of a drop brings back the comments and grants the object had.
        let mut extra = comments::restore_extras(&changes[i]);
        extra.extend(sequences::restore_ownership(ctx, &changes[i]));
        extra.extend(grants::restore(ctx, &changes[i]));
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

/// The steps of one change: each kind of object has its module.
fn step(ctx: &Context, change: &Change) -> Vec<Step> {
    match change {
        Change::CreateSchema(s) => vec![namespaces::create_schema(s)],
        Change::DropSchema(s) => vec![namespaces::drop_schema(s)],
        Change::CreateExtension(e) => vec![namespaces::create_extension(e)],
        Change::DropExtension(e) => vec![namespaces::drop_extension(e)],
        Change::CreateEnum(e) => vec![enums::create_enum(e)],
        Change::DropEnum(e) => vec![enums::drop_enum(e)],
        Change::AddEnumLabel { name, .. } => vec![enums::enum_labels(ctx, name, std::slice::from_ref(change))],
        Change::ReplaceEnum { from, to } => vec![enums::replace_enum(ctx, from, to)],
        Change::CreateDomain(d) => vec![types::create_domain(ctx, d)],
        Change::DropDomain(d) => vec![types::drop_domain(ctx, d)],
        Change::AlterDomain { from, to } => vec![types::alter_domain(from, to)],
        Change::CreateCollation(c) => vec![types::create_collation(c)],
        Change::DropCollation(c) => vec![types::drop_collation(c)],
        Change::CreateCompositeType(c) => vec![types::create_composite_type(ctx, c)],
        Change::DropCompositeType(c) => vec![types::drop_composite_type(c)],
        Change::AlterCompositeType { from, to } => vec![types::alter_composite_type(ctx, from, to)],
        Change::CreateSequence(s) => sequences::create_sequence(s),
        Change::DropSequence(s) => vec![sequences::drop_sequence(ctx, s)],
        Change::AlterSequence { from, to } => vec![sequences::alter_sequence(from, to)],
        Change::CreateTable(t) => table::create_table(ctx, t),
        Change::DropTable(t) => vec![table::drop_table(ctx, t)],
        Change::RenameTable { from, to } => vec![table::rename_table(from, to)],
        Change::RenameColumn { table, from, to } => vec![table::rename_column(table, from, to)],
        Change::AddColumn { table, column } => vec![columns::add_column(ctx, table, column)],
        Change::DropColumn { table, column } => vec![columns::drop_column(ctx, table, column)],
        Change::AlterColumn { table, from, to } => columns::alter_column(ctx, table, from, to),
        Change::AddConstraint {
            table,
            constraint,
            new_table,
        } => constraints::add_constraint(ctx, table, constraint, *new_table),
        Change::DropConstraint { table, constraint } => vec![constraints::drop_constraint(ctx, table, constraint)],
        Change::CreateIndex {
            table,
            index,
            new_table,
        } => vec![indexes::create_index(ctx, table, index, *new_table)],
        Change::DropIndex { table, index } => vec![indexes::drop_index(ctx, table, index)],
        Change::SetRowSecurity { table, from, to } => vec![table::set_row_security(table, *from, *to)],
        Change::SetReplicaIdentity { table, from, to } => {
            vec![table::set_replica_identity(table, from.as_ref(), to.as_ref())]
        }
        Change::SetTableOptions { table, from, to } => vec![table::set_table_options(table, from, to)],
        Change::CreatePolicy { table, policy } => vec![policies::create_policy(ctx, table, policy)],
        Change::DropPolicy { table, policy } => vec![policies::drop_policy(ctx, table, policy)],
        Change::CreateTrigger { table, trigger } => vec![triggers::create_trigger(ctx, table, trigger)],
        Change::DropTrigger { table, trigger } => vec![triggers::drop_trigger(ctx, table, trigger)],
        Change::SetTriggerEnabled { table, name, from, to } => {
            vec![triggers::set_trigger_enabled(table, name, *from, *to)]
        }
        Change::CreateView(v) => vec![views::create_view(ctx, v)],
        Change::DropView(v) => vec![views::drop_view(ctx, v)],
        Change::CreateMaterializedView(v) => vec![views::create_materialized_view(ctx, v)],
        Change::DropMaterializedView(v) => vec![views::drop_materialized_view(ctx, v)],
        Change::CreateFunction(f) => vec![functions::create_function(ctx, f)],
        Change::ReplaceFunction { from, to } => vec![functions::replace_function(ctx, from, to)],
        Change::DropFunction(f) => vec![functions::drop_function(ctx, f)],
        Change::SetComment { target, from, to } => vec![comments::set_comment(target, from, to)],
        Change::SetGrants { from, to } => grants::set_grants(from.as_ref(), to.as_ref()).into_iter().collect(),
        Change::SetOwner { from, to } => owners::set_owner(from.as_ref(), to.as_ref()).into_iter().collect(),
        Change::SetDefaultPrivileges { from, to } => default_privileges::set(from.as_ref(), to.as_ref()),
    }
}
