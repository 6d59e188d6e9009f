//! Reads `constraints.sql`: the constraints of tables (primary key, unique, check, exclusion,
//! foreign key), each added to the table read by `relations.sql` that it belongs to.
//! Constraints cloned onto partitions and inherited checks are the parent's and do not come
//! back. Keys' and foreign keys' definitions are written here as `pg_get_constraintdef`
//! writes them, where the query left them out (see `constraints.sql`).

use schemareg_engine::{
    CheckConstraint, ExclusionConstraint, ForeignKey, ForeignKeyAction, ForeignKeyMatch, PrimaryKey, QualifiedName,
    UniqueConstraint,
};
use tokio_postgres::Row;

use super::quote::Quoter;
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
            .filter_map(|n| b.column(i, *n).map(|(name, _)| name.to_string()))
            .collect();
        let name: String = get(&r, q, "name")?;
        let kind: String = get(&r, q, "kind")?;
        let ref_columns = if kind == "f" {
            referenced_columns(b, &r)?.ok_or_else(|| IntrospectError::Decode {
                query: q,
                message: format!("foreign key {name}: a referenced column number names no column read"),
            })?
        } else {
            Vec::new()
        };
        let comment: Option<String> = get(&r, q, "comment")?;
        let deferrable: bool = get(&r, q, "deferrable")?;
        let initially_deferred: bool = get(&r, q, "initially_deferred")?;
        let definition = match get::<Option<String>>(&r, q, "definition")? {
            Some(d) => d,
            None => {
                if columns.len() != numbers.len() {
                    return Err(IntrospectError::Decode {
                        query: q,
                        message: format!("constraint {name}: a column number names no column"),
                    });
                }
                let mut d = written(&b.quoter, &kind, &columns, &ref_columns, &r)?;
                if deferrable {
                    d.push_str(" DEFERRABLE");
                }
                if initially_deferred {
                    d.push_str(" INITIALLY DEFERRED");
                }
                if !get::<bool>(&r, q, "validated")? {
                    d.push_str(" NOT VALID");
                }
                d
            }
        };
        let Relation::Table(t) = &mut b.relations[i] else {
            continue;
        };
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
                    referenced_columns: ref_columns,
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

/// A primary key's, unique constraint's or foreign key's definition up to its deferrability,
/// as `pg_get_constraintdef` prints it.
fn written(
    quoter: &Quoter,
    kind: &str,
    columns: &[String],
    ref_columns: &[String],
    r: &Row,
) -> Result<String, IntrospectError> {
    let q = QUERY;
    Ok(match kind {
        "p" => format!("PRIMARY KEY ({})", quoter.list(columns)),
        "u" => format!(
            "UNIQUE {}({})",
            if get(r, q, "nulls_not_distinct")? {
                "NULLS NOT DISTINCT "
            } else {
                ""
            },
            quoter.list(columns)
        ),
        "f" => {
            let ref_schema: String = get(r, q, "ref_schema")?;
            let ref_table: String = get(r, q, "ref_table")?;
            let mut d = format!(
                "FOREIGN KEY ({}) REFERENCES {}.{}({})",
                quoter.list(columns),
                quoter.ident(&ref_schema),
                quoter.ident(&ref_table),
                quoter.list(ref_columns)
            );
            d.push_str(match get::<String>(r, q, "match_type")?.as_str() {
                "f" => " MATCH FULL",
                "p" => " MATCH PARTIAL",
                _ => "",
            });
            for (clause, column) in [(" ON UPDATE ", "on_update"), (" ON DELETE ", "on_delete")] {
                let action = match get::<String>(r, q, column)?.as_str() {
                    "r" => "RESTRICT",
                    "c" => "CASCADE",
                    "n" => "SET NULL",
                    "d" => "SET DEFAULT",
                    _ => continue,
                };
                d.push_str(clause);
                d.push_str(action);
            }
            d
        }
        other => {
            return Err(IntrospectError::Decode {
                query: q,
                message: format!("constraint kind {other} has no definition"),
            });
        }
    })
}

/// The columns a foreign key references: named by the server for a table of an extension,
/// otherwise from the columns read of the referenced table (`None`: a number names none).
fn referenced_columns(b: &Builder, r: &Row) -> Result<Option<Vec<String>>, IntrospectError> {
    let q = QUERY;
    if let Some(names) = get::<Option<Vec<String>>>(r, q, "ref_columns")? {
        return Ok(Some(names));
    }
    let table: u32 = get(r, q, "ref_oid")?;
    let numbers: Vec<i16> = get(r, q, "ref_column_numbers")?;
    Ok(numbers
        .iter()
        .map(|n| b.column_of(table, *n).map(|(_, name)| name.to_string()))
        .collect())
}
