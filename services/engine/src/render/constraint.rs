//! Table constraints. On an existing table, foreign keys and checks are added `NOT VALID` and
//! validated in a second statement, so that the long scan does not hold the strong lock.

use super::ident::{ident, qn};
use crate::diff::Constraint;
use crate::model::QualifiedName;

/// The statements that add a constraint: one for a new table, `NOT VALID` + `VALIDATE` for a
/// check or foreign key on an existing one.
pub fn add_constraint(table: &QualifiedName, c: &Constraint, new_table: bool) -> Vec<String> {
    let t = qn(table);
    let name = ident(c.name());
    let definition = c.definition().trim_end_matches(" NOT VALID");
    let validated = match c {
        Constraint::Check(x) => x.validated,
        Constraint::ForeignKey(x) => x.validated,
        _ => true,
    };
    let two_phase = !new_table && matches!(c, Constraint::Check(_) | Constraint::ForeignKey(_));
    if two_phase || !validated {
        let mut v = vec![format!("ALTER TABLE {t} ADD CONSTRAINT {name} {definition} NOT VALID")];
        if validated {
            v.push(format!("ALTER TABLE {t} VALIDATE CONSTRAINT {name}"));
        }
        v
    } else {
        vec![format!("ALTER TABLE {t} ADD CONSTRAINT {name} {definition}")]
    }
}

pub fn drop_constraint(table: &QualifiedName, c: &Constraint) -> String {
    format!("ALTER TABLE {} DROP CONSTRAINT {}", qn(table), ident(c.name()))
}

/// Drops a constraint known by its name only.
pub fn drop_constraint_named(table: &QualifiedName, name: &str) -> String {
    format!("ALTER TABLE {} DROP CONSTRAINT {}", qn(table), ident(name))
}

pub fn drop_constraint_if_exists(table: &QualifiedName, name: &str) -> String {
    format!("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}", qn(table), ident(name))
}

/// A `NOT VALID` check that a column is not NULL: validated, it lets `SET NOT NULL` skip its
/// scan.
pub fn add_not_null_check(table: &QualifiedName, name: &str, column: &str) -> String {
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID",
        qn(table),
        ident(name),
        ident(column)
    )
}

pub fn validate_constraint(table: &QualifiedName, name: &str) -> String {
    format!("ALTER TABLE {} VALIDATE CONSTRAINT {}", qn(table), ident(name))
}
