//! The typed changes between two snapshots.

use serde::Serialize;

use crate::model::*;

/// A constraint of any kind, for changes that treat them alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Constraint {
    PrimaryKey(PrimaryKey),
    Unique(UniqueConstraint),
    Check(CheckConstraint),
    Exclusion(ExclusionConstraint),
    ForeignKey(ForeignKey),
}

impl Constraint {
    pub fn name(&self) -> &str {
        match self {
            Constraint::PrimaryKey(c) => &c.name,
            Constraint::Unique(c) => &c.name,
            Constraint::Check(c) => &c.name,
            Constraint::Exclusion(c) => &c.name,
            Constraint::ForeignKey(c) => &c.name,
        }
    }

    pub fn definition(&self) -> &str {
        match self {
            Constraint::PrimaryKey(c) => &c.definition,
            Constraint::Unique(c) => &c.definition,
            Constraint::Check(c) => &c.definition,
            Constraint::Exclusion(c) => &c.definition,
            Constraint::ForeignKey(c) => &c.definition,
        }
    }

    pub fn comment(&self) -> Option<&str> {
        match self {
            Constraint::PrimaryKey(c) => c.comment.as_deref(),
            Constraint::Unique(c) => c.comment.as_deref(),
            Constraint::Check(c) => c.comment.as_deref(),
            Constraint::Exclusion(c) => c.comment.as_deref(),
            Constraint::ForeignKey(c) => c.comment.as_deref(),
        }
    }

    /// Every constraint of a table.
    pub fn all_of(t: &Table) -> Vec<Constraint> {
        let mut v: Vec<Constraint> = Vec::new();
        v.extend(t.primary_key.iter().cloned().map(Constraint::PrimaryKey));
        v.extend(t.unique_constraints.iter().cloned().map(Constraint::Unique));
        v.extend(t.check_constraints.iter().cloned().map(Constraint::Check));
        v.extend(t.exclusion_constraints.iter().cloned().map(Constraint::Exclusion));
        v.extend(t.foreign_keys.iter().cloned().map(Constraint::ForeignKey));
        v
    }
}

/// Where an enum label goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LabelPosition {
    Before(String),
    After(String),
    End,
}

/// What an object's comment is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "on", rename_all = "snake_case")]
pub enum CommentTarget {
    Schema {
        name: String,
    },
    Type {
        name: QualifiedName,
        domain: bool,
    },
    Collation {
        name: QualifiedName,
    },
    Sequence {
        name: QualifiedName,
    },
    Table {
        name: QualifiedName,
    },
    Column {
        table: QualifiedName,
        column: String,
        relation: &'static str,
    },
    Constraint {
        table: QualifiedName,
        name: String,
    },
    Index {
        schema: String,
        name: String,
    },
    View {
        name: QualifiedName,
        materialized: bool,
    },
    Function {
        name: QualifiedName,
        arguments: String,
        procedure: bool,
    },
    Trigger {
        table: QualifiedName,
        name: String,
    },
    Policy {
        table: QualifiedName,
        name: String,
    },
}

/// One difference between FROM and TO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    CreateSchema(Schema),
    DropSchema(Schema),
    CreateExtension(Extension),
    DropExtension(Extension),
    CreateEnum(EnumType),
    DropEnum(EnumType),
    AddEnumLabel {
        name: QualifiedName,
        label: String,
        position: LabelPosition,
    },
    /// Labels removed or reordered: the type is swapped for a new one.
    ReplaceEnum {
        from: EnumType,
        to: EnumType,
    },
    CreateDomain(Domain),
    DropDomain(Domain),
    AlterDomain {
        from: Domain,
        to: Domain,
    },
    CreateCompositeType(CompositeType),
    DropCompositeType(CompositeType),
    CreateCollation(Collation),
    DropCollation(Collation),
    /// Attributes added at the end, dropped from the end, or given another type (when no table
    /// column uses the type): `ALTER TYPE … ADD/DROP/ALTER ATTRIBUTE … CASCADE`.
    AlterCompositeType {
        from: CompositeType,
        to: CompositeType,
    },
    CreateSequence(Sequence),
    DropSequence(Sequence),
    AlterSequence {
        from: Sequence,
        to: Sequence,
    },
    CreateTable(Box<Table>),
    DropTable(Box<Table>),
    /// A rename TO declares (`renamed_from`).
    RenameTable {
        from: QualifiedName,
        to: QualifiedName,
    },
    RenameColumn {
        table: QualifiedName,
        from: String,
        to: String,
    },
    AddColumn {
        table: QualifiedName,
        column: Column,
    },
    DropColumn {
        table: QualifiedName,
        column: Column,
    },
    AlterColumn {
        table: QualifiedName,
        from: Column,
        to: Column,
    },
    AddConstraint {
        table: QualifiedName,
        constraint: Constraint,
        new_table: bool,
    },
    DropConstraint {
        table: QualifiedName,
        constraint: Constraint,
    },
    CreateIndex {
        table: QualifiedName,
        index: Index,
        new_table: bool,
    },
    DropIndex {
        table: QualifiedName,
        index: Index,
    },
    /// Storage parameters (`fillfactor=70`) of a table.
    SetTableOptions {
        table: QualifiedName,
        from: Vec<String>,
        to: Vec<String>,
    },
    SetRowSecurity {
        table: QualifiedName,
        from: RowSecurity,
        to: RowSecurity,
    },
    SetReplicaIdentity {
        table: QualifiedName,
        from: Option<ReplicaIdentity>,
        to: Option<ReplicaIdentity>,
    },
    CreatePolicy {
        table: QualifiedName,
        policy: Policy,
    },
    DropPolicy {
        table: QualifiedName,
        policy: Policy,
    },
    CreateTrigger {
        table: QualifiedName,
        trigger: Trigger,
    },
    DropTrigger {
        table: QualifiedName,
        trigger: Trigger,
    },
    SetTriggerEnabled {
        table: QualifiedName,
        name: String,
        from: TriggerEnabled,
        to: TriggerEnabled,
    },
    CreateView(View),
    DropView(View),
    CreateMaterializedView(MaterializedView),
    DropMaterializedView(MaterializedView),
    CreateFunction(Function),
    DropFunction(Function),
    ReplaceFunction {
        from: Function,
        to: Function,
    },
    SetComment {
        target: CommentTarget,
        from: Option<String>,
        to: Option<String>,
    },
    /// What one role may do with one object: from FROM's grants (none: the object is new, or
    /// created again) to TO's (none: all taken away).
    SetGrants {
        from: Option<Grant>,
        to: Option<Grant>,
    },
    /// What one role (or `PUBLIC`) gets on objects of one kind created later, by one role, in
    /// one schema or everywhere: from FROM's (none: nothing beyond the defaults) to TO's.
    SetDefaultPrivileges {
        from: Option<DefaultPrivilege>,
        to: Option<DefaultPrivilege>,
    },
    /// Who owns an object: from FROM's owner (none: the role that applies the plan, as for an
    /// object the plan creates) to TO's (none: that role).
    SetOwner {
        from: Option<Owner>,
        to: Option<Owner>,
    },
}

impl Change {
    /// The view or materialized view the change drops, if it drops one.
    pub fn dropped_view(&self) -> Option<QualifiedName> {
        match self {
            Change::DropView(v) => Some(QualifiedName::new(&v.schema, &v.name)),
            Change::DropMaterializedView(v) => Some(QualifiedName::new(&v.schema, &v.name)),
            _ => None,
        }
    }
}

/// The name under which a change drops or creates an object that a change of the other kind
/// may create or drop again (a constraint, index, policy, trigger or view redefined).
fn dropped_or_created(change: &Change) -> Option<(bool, String)> {
    let on = |table: &QualifiedName, kind: &str, name: &str| format!("{kind} {table}.{name}");
    let view = |schema: &str, name: &str| format!("view {schema}.{name}");
    Some(match change {
        Change::DropConstraint { table, constraint } => (false, on(table, "constraint", constraint.name())),
        Change::AddConstraint { table, constraint, .. } => (true, on(table, "constraint", constraint.name())),
        Change::DropIndex { table, index } => (false, on(table, "index", &index.name)),
        Change::CreateIndex { table, index, .. } => (true, on(table, "index", &index.name)),
        Change::DropPolicy { table, policy } => (false, on(table, "policy", &policy.name)),
        Change::CreatePolicy { table, policy } => (true, on(table, "policy", &policy.name)),
        Change::DropTrigger { table, trigger } => (false, on(table, "trigger", &trigger.name)),
        Change::CreateTrigger { table, trigger } => (true, on(table, "trigger", &trigger.name)),
        Change::DropView(v) => (false, view(&v.schema, &v.name)),
        Change::CreateView(v) => (true, view(&v.schema, &v.name)),
        Change::DropMaterializedView(v) => (false, view(&v.schema, &v.name)),
        Change::CreateMaterializedView(v) => (true, view(&v.schema, &v.name)),
        _ => return None,
    })
}

/// Which changes only redefine an object both sides have: a column altered, a domain altered,
/// a function replaced, or a constraint, index, policy, trigger or view dropped and created
/// again under its name. Only these can come from PostgreSQL printing one expression in two
/// ways (its deparser is not idempotent: see the adapters' `settle`).
pub fn redefinitions(changes: &[Change]) -> Vec<bool> {
    let mut dropped = std::collections::BTreeSet::new();
    let mut created = std::collections::BTreeSet::new();
    for c in changes {
        if let Some((create, key)) = dropped_or_created(c) {
            if create { &mut created } else { &mut dropped }.insert(key);
        }
    }
    changes
        .iter()
        .map(|c| match c {
            Change::AlterColumn { from, to, .. } => reprinted(from, to),
            Change::AlterDomain { .. } | Change::ReplaceFunction { .. } => true,
            _ => dropped_or_created(c).is_some_and(|(_, key)| dropped.contains(&key) && created.contains(&key)),
        })
        .collect()
}

/// Whether two columns differ only in how their default or generation expression is printed
/// (both have one): anything else is a real difference.
fn reprinted(a: &Column, b: &Column) -> bool {
    let both = |x: &Option<String>, y: &Option<String>| x.is_some() == y.is_some();
    both(&a.default, &b.default)
        && both(&a.generated, &b.generated)
        && Column {
            default: b.default.clone(),
            generated: b.generated.clone(),
            ..a.clone()
        } == *b
}
