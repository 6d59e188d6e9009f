//! Indexes, built from their structured keys.

use super::ident::{ident, qn, qualified};
use crate::model::{Index, QualifiedName};

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] name ON table USING method (keys) …`.
pub fn create_index(table: &QualifiedName, ix: &Index, concurrently: bool) -> String {
    let keys: Vec<String> = ix
        .keys
        .iter()
        .map(|k| {
            let mut s = k.expression.clone();
            if let Some(c) = &k.collation {
                s.push_str(&format!(" COLLATE {c}"));
            }
            if let Some(o) = &k.opclass {
                s.push_str(&format!(" {o}"));
            }
            match (k.descending, k.nulls_first) {
                (true, false) => s.push_str(" DESC NULLS LAST"),
                (true, true) => s.push_str(" DESC"),
                (false, true) => s.push_str(" NULLS FIRST"),
                (false, false) => {}
            }
            s
        })
        .collect();
    let mut sql = format!(
        "CREATE {}INDEX {}{} ON {} USING {} ({})",
        if ix.unique { "UNIQUE " } else { "" },
        if concurrently { "CONCURRENTLY " } else { "" },
        ident(&ix.name),
        qn(table),
        ix.method,
        keys.join(", ")
    );
    if !ix.include.is_empty() {
        sql.push_str(&format!(" INCLUDE ({})", ix.include.join(", ")));
    }
    if ix.nulls_not_distinct {
        sql.push_str(" NULLS NOT DISTINCT");
    }
    if !ix.options.is_empty() {
        sql.push_str(&format!(" WITH ({})", ix.options.join(", ")));
    }
    if let Some(p) = &ix.predicate {
        sql.push_str(&format!(" WHERE {p}"));
    }
    sql
}

pub fn drop_index(schema: &str, ix: &Index, concurrently: bool) -> String {
    format!(
        "DROP INDEX {}{}",
        if concurrently { "CONCURRENTLY " } else { "" },
        qualified(schema, &ix.name)
    )
}
