//! Reads `constraints.sql`: the constraints of tables (primary key, unique, check, exclusion,
//! foreign key), each added to the table read by `relations.sql` that it belongs to (by oid).
//! Constraints cloned onto partitions and inherited checks are the parent's and do not come
//! back. Keys' and foreign keys' definitions are written here as `pg_get_constraintdef`
//! writes them, where the query left them out (see `constraints.sql`).

use schemareg_engine::{
    CheckConstraint, ExclusionConstraint, ForeignKey, ForeignKeyAction, ForeignKeyMatch, PrimaryKey, QualifiedName,
    UniqueConstraint,
};

use super::quote::Quoter;
use super::{Builder, Field, IntrospectError, Relation, Row, Rows, decode, field, field_named, fields, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "constraints";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    let [relation, numbers_f, name_f, kind_f] = fields(&rows, ["relation", "column_numbers", "name", "kind"]);
    let refs = References {
        names: field_named(&rows, "ref_names"),
        oid: field_named(&rows, "ref_oid"),
        numbers: field_named(&rows, "ref_column_numbers"),
    };
    for r in rows.iter() {
        let Some(i) = b.find_oid(&r, q, relation)? else {
            continue;
        };
        let numbers: Vec<i16> = field::<Option<Vec<i16>>>(&r, q, numbers_f)?.unwrap_or_default();
        // Numbers that name no column (0 for an expression of an exclusion constraint) are
        // left out, as a join on the column would leave them.
        let columns: Vec<String> = numbers
            .iter()
            .filter_map(|n| b.column(i, *n).map(|(name, _)| name.to_string()))
            .collect();
        let name: String = field(&r, q, name_f)?;
        let kind: String = field(&r, q, kind_f)?;
        let (references, ref_columns) = if kind == "f" {
            referenced(b, &r, &refs)?.ok_or_else(|| IntrospectError::Decode {
                query: q,
                message: format!("foreign key {name}: references a table or column not read"),
            })?
        } else {
            (QualifiedName::new(String::new(), String::new()), Vec::new())
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
                let mut d = written(&b.quoter, &kind, &columns, (&references, &ref_columns), &r)?;
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
                    references,
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
    (references, ref_columns): (&QualifiedName, &[String]),
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
            let mut d = format!(
                "FOREIGN KEY ({}) REFERENCES {}.{}({})",
                quoter.list(columns),
                quoter.ident(&references.schema),
                quoter.ident(&references.name),
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

/// Where a query's foreign keys point: the referenced table's oid and column numbers, or the
/// names the server gave for a table of an extension (schema, table, then the columns).
struct References {
    names: Field,
    oid: Field,
    numbers: Field,
}

/// The table and columns a foreign key references: named by the server for a table of an
/// extension, otherwise from what was read of the referenced table (`None`: the table or a
/// column number is not among what was read).
fn referenced(
    b: &Builder,
    r: &Row,
    refs: &References,
) -> Result<Option<(QualifiedName, Vec<String>)>, IntrospectError> {
    let q = QUERY;
    if let Some(mut names) = field::<Option<Vec<Option<String>>>>(r, q, refs.names)? {
        // (a name the server could not find comes as NULL)
        let columns = names.split_off(2.min(names.len()));
        return Ok(match names.as_slice() {
            [Some(schema), Some(table)] => columns
                .into_iter()
                .collect::<Option<Vec<String>>>()
                .map(|c| (QualifiedName::new(schema, table), c)),
            _ => None,
        });
    }
    let table: u32 = field(r, q, refs.oid)?;
    let Some(&i) = b.by_oid.get(&table) else {
        return Ok(None);
    };
    let (schema, name) = b.relation_name(i);
    let numbers: Vec<i16> = field(r, q, refs.numbers)?;
    let columns: Option<Vec<String>> = numbers
        .iter()
        .map(|n| b.column(i, *n).map(|(name, _)| name.to_string()))
        .collect();
    Ok(columns.map(|c| (QualifiedName::new(schema, name), c)))
}
