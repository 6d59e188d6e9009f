//! Plans: the changes as ordered steps, each with its SQL, rollback, hazards, lock and
//! whether it may run in a transaction.
//!
//! Steps are ordered by a dependency graph over the objects they create, change, drop or
//! need (`order.rs`); each kind of step also has a rank that breaks ties, so that without a
//! dependency the usual order holds (drops of dependants first, types before tables, foreign
//! keys after the keys they reference, views after their tables, type drops last).

mod data_check;
mod hazard;
mod order;
mod script;
mod steps;

pub use data_check::DataCheck;
pub use hazard::{Hazard, HazardKind, TableSize, TableSizes};
pub use script::{
    ScriptOptions, duration_millis, groups, render_rollback_script, render_script, session_settings, valid_duration,
};

use serde::{Deserialize, Serialize};

use crate::diff::{Change, Comparison};
use crate::model::{QualifiedName, Snapshot};

/// The lock a step takes on the object it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Lock {
    None,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    AccessExclusive,
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Step {
    /// 1-based position in the plan.
    pub id: usize,
    /// What the step does, in words: `add column public.users.bio`.
    pub description: String,
    /// The statements, each ending with `;`.
    pub sql: String,
    /// The statements that undo the step, if there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_sql: Option<String>,
    /// Why there is no rollback, or what the rollback cannot bring back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_note: Option<String>,
    pub hazards: Vec<Hazard>,
    /// The rows to count before the step runs, when existing rows can make it fail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_checks: Vec<DataCheck>,
    /// Whether the step may run inside a transaction.
    pub transactional: bool,
    /// The strongest lock the step takes.
    pub lock: Lock,
    /// Whether the step's transaction commits right after it: new enum labels cannot be used
    /// before a commit, and each step that proves a new NOT NULL on a big table commits on its
    /// own. Part of the stored plan, so that a plan read back runs in the same transactions.
    #[serde(default, skip_serializing_if = "crate::model::is_false")]
    pub commit_after: bool,
    /// The role the step acts for: whose default privileges it sets (`FOR ROLE`), or whom it
    /// gives an object to (`OWNER TO`). Whoever applies it must be a member of that role (and,
    /// for `OWNER TO`, the role needs `CREATE` on the object's schema), or a superuser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_role: Option<String>,
    /// The same for the step's rollback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_for_role: Option<String>,
    #[serde(skip)]
    pub(crate) deps: steps::Deps,
}

/// A plan from FROM to TO (read back as stored, to apply exactly what was approved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    pub format: u32,
    pub from_digest: String,
    pub to_digest: String,
    pub steps: Vec<Step>,
    /// The roles the plan grants to, revokes from or names in policies: they must exist in
    /// the database it is applied to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Objects of kinds schemareg does not model, on either side: the plan does not compare
    /// them (`rule public.r on t (only in TO)`); migrate them by hand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_compared: Vec<String>,
}

impl Step {
    /// The role the step (or its rollback) acts for, if another than the one applying it.
    pub fn acts_for(&self, rollback: bool) -> Option<&str> {
        if rollback {
            self.rollback_for_role.as_deref()
        } else {
            self.for_role.as_deref()
        }
    }
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Every hazard kind of the plan, once.
    pub fn hazard_kinds(&self) -> Vec<HazardKind> {
        let mut v: Vec<HazardKind> = self
            .steps
            .iter()
            .flat_map(|s| s.hazards.iter().map(|h| h.kind))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// How to plan.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Build indexes on existing tables with `CREATE INDEX CONCURRENTLY` (outside transactions).
    pub concurrently: bool,
    /// The live database's table sizes, when FROM is one: hazards then say how big.
    pub sizes: TableSizes,
    /// The role that will apply the plan, when known: it will own what the plan creates.
    pub applier: Option<Applier>,
}

/// The role a plan will be applied as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applier {
    pub role: String,
    pub superuser: bool,
}

/// Diffs FROM and TO and plans the changes.
pub fn plan(from: &Snapshot, to: &Snapshot, options: &PlanOptions) -> Plan {
    let (changes, renamed) = crate::diff::diffed(from, to);
    planned(from, &renamed, to, &changes, options)
}

/// Plans a comparison's changes.
pub fn plan_compared(c: &Comparison, options: &PlanOptions) -> Plan {
    planned(&c.from, c.renamed_from(), &c.to, &c.changes, options)
}

/// Steps are planned against FROM with TO's declared renames made (its tables and columns
/// under the names they will have); the plan still names FROM's digest.
fn planned(from: &Snapshot, renamed: &Snapshot, to: &Snapshot, changes: &[Change], options: &PlanOptions) -> Plan {
    let mut p = plan_changes(renamed, to, changes, options);
    if !std::ptr::eq(from, renamed) {
        p.from_digest = crate::digest(from);
    }
    p
}

/// The tables whose sizes planning a comparison (as [`plan_compared`] does, with `options`)
/// looks up: a caller reading sizes from a live database reads these only, and plans with
/// them. A size can change the steps, and the steps the sizes they look up: ask again with
/// the sizes read until no table is new (a plan's tables are few, a database's can be many).
pub fn sized_tables(c: &Comparison, options: &PlanOptions) -> std::collections::BTreeSet<QualifiedName> {
    let ctx = steps::Context::new(c.renamed_from(), &c.to, options, &c.changes);
    steps::steps(&ctx, &c.changes);
    ctx.sized.into_inner()
}

/// Plans given changes.
pub fn plan_changes(from: &Snapshot, to: &Snapshot, changes: &[Change], options: &PlanOptions) -> Plan {
    // The digests hash every object of both sides (a tenth of a second at 10,000 tables):
    // computed beside the planning, on threads of their own.
    std::thread::scope(|scope| {
        let from_digest = scope.spawn(|| crate::digest(from));
        let to_digest = scope.spawn(|| crate::digest(to));
        let ctx = steps::Context::new(from, to, options, changes);
        let unordered = steps::steps(&ctx, changes);
        let mut ordered = order::order(unordered);
        for (i, s) in ordered.iter_mut().enumerate() {
            s.id = i + 1;
        }
        Plan {
            roles: roles_of(changes),
            not_compared: not_compared(from, to),
            format: 1,
            from_digest: from_digest.join().expect("hashing a snapshot does not panic"),
            to_digest: to_digest.join().expect("hashing a snapshot does not panic"),
            steps: ordered,
        }
    })
}

/// The objects of unmodelled kinds of both sides, and where each is.
fn not_compared(from: &Snapshot, to: &Snapshot) -> Vec<String> {
    let mut all: Vec<&crate::model::Unmodelled> = from.unmodelled.iter().chain(&to.unmodelled).collect();
    all.sort();
    all.dedup();
    all.into_iter()
        .map(|u| {
            let where_ = match (from.unmodelled.contains(u), to.unmodelled.contains(u)) {
                (true, true) => "on both sides",
                (true, false) => "only in FROM",
                _ => "only in TO",
            };
            format!("{u} ({where_})")
        })
        .collect()
}

/// The roles changes grant to, revoke from, set default privileges for, give objects to or
/// name in policies they create (not `PUBLIC`).
fn roles_of(changes: &[Change]) -> Vec<String> {
    let mut roles = std::collections::BTreeSet::new();
    for c in changes {
        match c {
            Change::SetGrants { from, to } => roles.extend(to.iter().chain(from.iter()).map(|g| g.grantee.clone())),
            Change::SetOwner { from, to } => roles.extend(to.iter().chain(from.iter()).map(|o| o.owner.clone())),
            Change::SetDefaultPrivileges { from, to } => {
                for d in to.iter().chain(from.iter()) {
                    roles.insert(d.grantee.clone());
                    roles.extend(d.role.clone());
                }
            }
            Change::CreatePolicy { policy, .. } => roles.extend(policy.roles.iter().cloned()),
            _ => {}
        }
    }
    roles.retain(|r| !r.eq_ignore_ascii_case("public"));
    roles.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn snapshot(not_null: bool) -> Snapshot {
        let doc = serde_json::json!({
            "format": 1,
            "tables": [{"schema": "public", "name": "big", "columns": [{"name": "a", "type": "integer", "not_null": not_null}]}]
        });
        crate::from_json(doc.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn new_not_null_on_a_big_table_goes_through_a_validated_check() {
        let mut options = PlanOptions::default();
        let p = plan(&snapshot(false), &snapshot(true), &options);
        assert_eq!(p.steps.len(), 1);
        assert!(p.steps[0].sql.contains("SET NOT NULL"));
        options.sizes.insert(
            QualifiedName::new("public", "big"),
            TableSize {
                rows: 5e6,
                bytes: 800 << 20,
            },
        );
        let p = plan(&snapshot(false), &snapshot(true), &options);
        let sql: Vec<&str> = p.steps.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(sql.len(), 3, "{sql:#?}");
        assert!(sql[0].contains("CHECK (\"a\" IS NOT NULL) NOT VALID"), "{sql:#?}");
        assert!(sql[1].contains("VALIDATE CONSTRAINT \"big_a_not_null\""), "{sql:#?}");
        assert!(
            sql[2].contains("SET NOT NULL") && sql[2].contains("DROP CONSTRAINT \"big_a_not_null\""),
            "{sql:#?}"
        );
        assert!(
            p.steps[1]
                .hazards
                .iter()
                .any(|h| h.message.contains("≈5.0 M rows, 800 MB")),
            "{:?}",
            p.steps[1].hazards
        );
        // The add and the validation each commit on their own.
        let refs: Vec<&Step> = p.steps.iter().collect();
        assert_eq!(groups(&refs).len(), 3);
    }

    #[test]
    fn the_sizes_looked_up_are_those_of_the_tables_the_steps_change() {
        let doc = |extra: bool| {
            let mut tables = vec![
                serde_json::json!({"schema": "public", "name": "big", "columns": [{"name": "a", "type": "integer", "not_null": extra}]}),
                serde_json::json!({"schema": "public", "name": "calm", "columns": [{"name": "a", "type": "integer"}]}),
            ];
            if extra {
                tables.push(serde_json::json!({"schema": "public", "name": "new", "columns": [{"name": "a", "type": "integer"}]}));
            }
            crate::from_json(
                serde_json::json!({"format": 1, "tables": tables})
                    .to_string()
                    .as_bytes(),
            )
            .unwrap()
        };
        let (from, to) = (doc(false), doc(true));
        let compared = Comparison::new(from.clone(), to);
        let mut options = PlanOptions::default();
        let asked = sized_tables(&compared, &options);
        assert_eq!(
            asked.into_iter().collect::<Vec<_>>(),
            [QualifiedName::new("public", "big")]
        );
        // Planned with the sizes asked for only, the plan is the one every size gives.
        options.sizes.insert(
            QualifiedName::new("public", "big"),
            TableSize {
                rows: 5e6,
                bytes: 800 << 20,
            },
        );
        let mut all = options.clone();
        all.sizes.insert(
            QualifiedName::new("public", "calm"),
            TableSize {
                rows: 9e6,
                bytes: 900 << 20,
            },
        );
        assert_eq!(
            serde_json::to_value(plan_compared(&compared, &options)).unwrap(),
            serde_json::to_value(plan_compared(&compared, &all)).unwrap()
        );
        assert!(sized_tables(&Comparison::new(from.clone(), from), &options).is_empty());
    }
}

#[cfg(test)]
mod renames {
    use super::*;

    fn snapshot(doc: serde_json::Value) -> Snapshot {
        crate::from_json(doc.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn declared_renames_rename_and_undeclared_ones_are_possible_renames() {
        let from = snapshot(serde_json::json!({"format": 1, "tables": [
            {"schema": "public", "name": "customers", "columns": [{"name": "id", "type": "integer"}, {"name": "full_name", "type": "text"}]}
        ]}));
        let declared = snapshot(serde_json::json!({"format": 1, "tables": [
            {"schema": "public", "name": "clients", "renamed_from": "customers", "columns": [
                {"name": "id", "type": "integer"}, {"name": "name", "type": "text", "renamed_from": "full_name"}]}
        ]}));
        let p = plan(&from, &declared, &PlanOptions::default());
        let sql: Vec<&str> = p.steps.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(
            sql,
            [
                "ALTER TABLE \"public\".\"customers\" RENAME TO \"clients\";",
                "ALTER TABLE \"public\".\"clients\" RENAME COLUMN \"full_name\" TO \"name\";"
            ]
        );
        assert!(p.hazard_kinds().is_empty(), "{:?}", p.hazard_kinds());
        let undeclared = snapshot(serde_json::json!({"format": 1, "tables": [
            {"schema": "public", "name": "customers", "columns": [{"name": "id", "type": "integer"}, {"name": "name", "type": "text"}]}
        ]}));
        let p = plan(&from, &undeclared, &PlanOptions::default());
        assert_eq!(p.hazard_kinds(), [HazardKind::DataLoss, HazardKind::PossibleRename]);
    }
}
