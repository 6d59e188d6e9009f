//! Reads `constraints.sql`: the constraints of tables (primary key, unique, check, exclusion,
//! foreign key), each added to the table read by `relations.sql` that it belongs to.
//! Constraints cloned onto partitions and inherited checks are the parent's and do not come
//! back.

use schemareg_engine::{
    CheckConstraint, ExclusionConstraint, ForeignKey, ForeignKeyAction, ForeignKeyMatch, PrimaryKey, QualifiedName,
    UniqueConstraint,
};
use tokio_postgres::Row;

use super::{Builder, IntrospectError, Relation, decode, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "constraints";

pub(super) fn add(b: &mut Builder, rows: Vec<Row>) -> Result<(), IntrospectError> {
    let q = QUERY;
    for r in rows {
        let Some(i) = b.find(&r, q)? else { continue };
        let numbers: Vec<i16> = get::<Option<Vec<i16>>>(&r, q, "column_numbers")?.unwrap_or_default();
        // Numbers that name no column (0 for an expression of an exclusion constraint) are
        // left out, as a join on the column would leave them.
        let columns: Vec<String> = numbers
            .iter()
            .filter_map(|n| b.column_name(i, *n).map(str::to_string))
            .collect();
        let Relation::Table(t) = &mut b.relations[i] else {
            continue;
        };
        let name: String = get(&r, q, "name")?;
        let kind: String = get(&r, q, "kind")?;
        let definition: String = get(&r, q, "definition")?;
        let comment: Option<String> = get(&r, q, "comment")?;
        let deferrable: bool = get(&r, q, "deferrable")?;
        let initially_deferred: bool = get(&r, q, "initially_deferred")?;
        match kind.as_str() {
            "p" => {
                t.primary_key = Some(PrimaryKey {
                    name,
                    columns,
                    definition,
                    comment,
                })
            }
            "u" => t.unique_constraints.push(UniqueConstraint {
                name,
                columns,
                nulls_not_distinct: get(&r, q, "nulls_not_distinct")?,
                deferrable,
                initially_deferred,
                definition,
                comment,
            }),
            "c" => t.check_constraints.push(CheckConstraint {
                name,
                expression: get::<Option<String>>(&r, q, "expression")?.unwrap_or_default(),
                no_inherit: get(&r, q, "no_inherit")?,
                validated: get(&r, q, "validated")?,
                definition,
                comment,
            }),
            "x" => t.exclusion_constraints.push(ExclusionConstraint {
                name,
                deferrable,
                initially_deferred,
                definition,
                comment,
            }),
            "f" => {
                let on_update: String = get(&r, q, "on_update")?;
                let on_delete: String = get(&r, q, "on_delete")?;
                let match_type: String = get(&r, q, "match_type")?;
                t.foreign_keys.push(ForeignKey {
                    name,
                    columns,
                    references: QualifiedName::new(
                        get::<String>(&r, q, "ref_schema")?,
                        get::<String>(&r, q, "ref_table")?,
                    ),
                    referenced_columns: get(&r, q, "ref_columns")?,
                    on_update: decode(q, "action", ForeignKeyAction::from_catalog(&on_update))?,
                    on_delete: decode(q, "action", ForeignKeyAction::from_catalog(&on_delete))?,
                    match_type: decode(q, "match type", ForeignKeyMatch::from_catalog(&match_type))?,
                    deferrable,
                    initially_deferred,
                    validated: get(&r, q, "validated")?,
                    definition,
                    comment,
                })
            }
            other => {
                return Err(IntrospectError::Decode {
                    query: q,
                    message: format!("constraint kind {other}"),
                });
            }
        }
    }
    Ok(())
}
