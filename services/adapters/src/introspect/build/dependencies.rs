//! Reads `dependencies.sql`: what PostgreSQL recorded that views, functions, column
//! expressions, checks, indexes, triggers and policies use, as the snapshot's record of
//! dependencies (the diff and the plan's order go by it when FROM is live).

use schemareg_engine::{Dependencies, Dependent, QualifiedName, Referenced};

use super::{Builder, IntrospectError, Rows, decode, get};

/// The query this builder reads.
pub(super) const QUERY: &str = "dependencies";

pub(super) fn add(b: &mut Builder, rows: Rows) -> Result<(), IntrospectError> {
    let q = QUERY;
    // Read, even when nothing depends on anything: the record is there.
    let mut record = Dependencies::read();
    for r in rows.iter() {
        let object = QualifiedName::new(get::<String>(&r, q, "schema")?, get::<String>(&r, q, "name")?);
        let part =
            || -> Result<String, IntrospectError> { decode(q, "dependent", get::<Option<String>>(&r, q, "part")?) };
        let kind: &str = get(&r, q, "kind")?;
        let dependent = match kind {
            "view" => Dependent::View(object),
            "function" => Dependent::Function {
                name: object,
                arguments: part()?,
            },
            "column" => Dependent::ColumnExpression {
                table: object,
                column: part()?,
            },
            "check" => Dependent::Check {
                table: object,
                name: part()?,
            },
            "domain_check" => Dependent::DomainCheck {
                domain: object,
                name: part()?,
            },
            "index" => Dependent::Index {
                table: object,
                name: part()?,
            },
            "trigger" => Dependent::Trigger {
                table: object,
                name: part()?,
            },
            "policy" => Dependent::Policy {
                table: object,
                name: part()?,
            },
            other => return Err(unknown(format!("dependent kind {other:?}"))),
        };
        let target = QualifiedName::new(get::<String>(&r, q, "ref_schema")?, get::<String>(&r, q, "ref_name")?);
        let kind: &str = get(&r, q, "ref_kind")?;
        let referenced = match kind {
            "relation" => Referenced::Relation(target),
            "column" => Referenced::Column {
                relation: target,
                column: decode(q, "column", get::<Option<String>>(&r, q, "ref_column")?)?,
            },
            "type" => Referenced::Type(target),
            "function" => Referenced::Function(target),
            "collation" => Referenced::Collation(target),
            other => return Err(unknown(format!("referenced kind {other:?}"))),
        };
        record.add(dependent, referenced);
    }
    b.snapshot.dependencies = record;
    Ok(())
}

fn unknown(what: String) -> IntrospectError {
    IntrospectError::Decode {
        query: QUERY,
        message: format!("unknown {what}"),
    }
}
