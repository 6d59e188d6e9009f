//! Objects that depend on what the changes drop, even to create it again, go before it and
//! come back after: PostgreSQL refuses to drop a table or view that a view reads, a function
//! or type that a view, default, check, index, trigger or policy uses, or the key a foreign
//! key uses, and to change the type of a column a view, function body, generation
//! expression, trigger or policy reads. What depends on what is read from the record
//! PostgreSQL keeps (`pg_depend`) when FROM was read from a live database, else from the
//! definitions, which PostgreSQL prints with every name outside `pg_catalog`
//! schema-qualified. The plan orders the steps (drops before what they use goes, creations
//! after it is back).

mod passing;
mod readers;
mod tables;
mod touched;

use std::collections::BTreeSet;

use super::*;
use crate::render::refs::qualified_names;
use touched::Touched;

/// Adds the changes that take the dependents of dropped objects down and up again.
pub(super) fn recreate(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    passing::swapped_enum_defaults(out);
    passing::domain_columns(out, from, to);
    let mut touched = Touched::by(out, from);
    readers::readers(out, from, to, &mut touched);
    tables::table_dependents(out, from, to, &touched);
    tables::foreign_keys(out, from, to);
}

fn uses(text: &str, gone: &BTreeSet<QualifiedName>) -> bool {
    !gone.is_empty() && qualified_names(text).iter().any(|r| gone.contains(r))
}

/// What the changes already drop of a table's constraints, indexes, triggers and policies.
#[derive(Default)]
struct Dropped {
    constraints: BTreeSet<(QualifiedName, String)>,
    indexes: BTreeSet<(QualifiedName, String)>,
    triggers: BTreeSet<(QualifiedName, String)>,
    policies: BTreeSet<(QualifiedName, String)>,
    tables: BTreeSet<QualifiedName>,
}

impl Dropped {
    fn of(out: &[Change]) -> Self {
        let mut d = Dropped::default();
        for c in out {
            match c {
                Change::DropConstraint { table, constraint } => {
                    d.constraints.insert((table.clone(), constraint.name().to_string()));
                }
                Change::DropIndex { table, index } => {
                    d.indexes.insert((table.clone(), index.name.clone()));
                }
                Change::DropTrigger { table, trigger } => {
                    d.triggers.insert((table.clone(), trigger.name.clone()));
                }
                Change::DropPolicy { table, policy } => {
                    d.policies.insert((table.clone(), policy.name.clone()));
                }
                Change::DropTable(t) => {
                    d.tables.insert(t.qualified());
                }
                _ => {}
            }
        }
        d
    }
}

/// The objects of one kind that both sides have, by name.
fn pairs<'a, T>(a: &'a [T], b: &'a [T], name: impl Fn(&T) -> &String) -> Vec<(&'a T, &'a T)> {
    a.iter()
        .filter_map(|x| b.iter().find(|y| name(y) == name(x)).map(|y| (x, y)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(b_type: &str) -> Snapshot {
        let view = |name: &str, column: &str| {
            serde_json::json!({
                "schema": "public", "name": name,
                "definition": format!(" SELECT t.id, t.{column} FROM public.t;"),
                "columns": [{"name": "id", "type": "integer"}, {"name": column, "type": "integer"}]
            })
        };
        let doc = serde_json::json!({
            "format": 1,
            "tables": [{"schema": "public", "name": "t", "columns": [
                {"name": "id", "type": "integer"}, {"name": "a", "type": "integer"}, {"name": "b", "type": b_type}
            ], "policies": [{"name": "own", "command": "all", "permissive": true, "roles": ["public"],
                             "using": "(b > 0)"}]}],
            "views": [view("ids", "a"), view("bs", "b")]
        });
        crate::from_json(doc.to_string().as_bytes()).unwrap()
    }

    /// FROM as a live database records it: each view reads its two columns, the policy `b`.
    fn recorded(mut s: Snapshot) -> Snapshot {
        let t = QualifiedName::new("public", "t");
        let column = |c: &str| Referenced::Column {
            relation: t.clone(),
            column: c.to_string(),
        };
        for (view, c) in [("ids", "a"), ("bs", "b")] {
            let who = Dependent::View(QualifiedName::new("public", view));
            s.dependencies.add(who.clone(), column("id"));
            s.dependencies.add(who, column(c));
        }
        let policy = Dependent::Policy {
            table: t.clone(),
            name: "own".into(),
        };
        s.dependencies.add(policy.clone(), Referenced::Relation(t.clone()));
        s.dependencies.add(policy, column("b"));
        s
    }

    fn recreated(changes: &[Change]) -> Vec<String> {
        let mut v: Vec<String> = changes
            .iter()
            .filter_map(|c| match c {
                Change::DropView(v) => Some(format!("view {}", v.name)),
                Change::DropPolicy { policy, .. } => Some(format!("policy {}", policy.name)),
                _ => None,
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn the_record_of_a_live_from_decides_by_column_the_texts_by_table() {
        let (from, to) = (side("integer"), side("bigint"));
        // The texts say which tables a view reads, not which columns: both views go.
        assert_eq!(recreated(&diff(&from, &to)), ["view bs", "view ids"]);
        // PostgreSQL's record says `ids` does not read `b`, and that the policy does (it would
        // refuse the type change under it).
        assert_eq!(recreated(&diff(&recorded(from), &to)), ["policy own", "view bs"]);
    }
}
