//! Renames declared in DDL: a line `-- schemareg:renamed_from OLD` right before a table's
//! `CREATE TABLE`, before a column's definition inside one, or before an
//! `ALTER TABLE … ADD COLUMN`, says the table or column had the name OLD (the same as
//! `renamed_from` in a JSON snapshot). PostgreSQL keeps no such thing: the ingest reads the
//! comments and writes the declarations into the snapshot it read back.

use schemareg_engine::Snapshot;

use super::split::Script;

const MARKER: &str = "-- schemareg:renamed_from";

/// A declared rename: of a table (no column) or of one of its columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub schema: String,
    pub table: String,
    pub column: Option<String>,
    pub from: String,
}

/// The identifiers at the start of `text` separated by dots (`"My Schema".t`), folded as
/// PostgreSQL folds them, and the rest of the text.
fn name(text: &str) -> Option<(Vec<String>, &str)> {
    let mut parts = Vec::new();
    let mut rest = text.trim_start();
    loop {
        let (part, after) = if rest.starts_with('"') {
            crate::ident::quoted_prefix(rest)?
        } else {
            let len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(rest.len());
            if len == 0 {
                return None;
            }
            (rest[..len].to_lowercase(), &rest[len..])
        };
        parts.push(part);
        match after.strip_prefix('.') {
            Some(more) => rest = more,
            None => return Some((parts, after)),
        }
    }
}

/// The words of a statement's start, upper-cased, with the text after each.
fn after_words<'a>(text: &'a str, words: &[&str]) -> Option<&'a str> {
    let mut rest = text.trim_start();
    for w in words {
        let len = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        if !rest[..len].eq_ignore_ascii_case(w) {
            return None;
        }
        rest = rest[len..].trim_start();
    }
    Some(rest)
}

/// `CREATE [UNLOGGED] TABLE [IF NOT EXISTS] name` or `ALTER TABLE [ONLY] [IF EXISTS] name`:
/// the table's schema and name.
fn table_of(statement: &str) -> Option<(String, String, &str)> {
    let rest = after_words(statement, &["CREATE", "TABLE"])
        .or_else(|| after_words(statement, &["CREATE", "UNLOGGED", "TABLE"]))
        .or_else(|| after_words(statement, &["ALTER", "TABLE"]))?;
    let rest = after_words(rest, &["IF", "NOT", "EXISTS"])
        .or_else(|| after_words(rest, &["IF", "EXISTS"]))
        .unwrap_or(rest);
    let rest = after_words(rest, &["ONLY"]).unwrap_or(rest);
    let (mut parts, after) = name(rest)?;
    let table = parts.pop()?;
    let schema = parts.pop().unwrap_or_else(|| "public".to_string());
    Some((schema, table, after))
}

/// The renames the comments of a script declare.
pub fn declared(sql: &str, script: &Script) -> Vec<Declared> {
    let mut out = Vec::new();
    let mut offset = 0;
    let lines: Vec<(usize, &str)> = sql
        .split_inclusive('\n')
        .map(|l| {
            let at = offset;
            offset += l.len();
            (at, l)
        })
        .collect();
    for (i, (_, line)) in lines.iter().enumerate() {
        let Some(old) = line.trim().strip_prefix(MARKER) else {
            continue;
        };
        let Some((mut old_parts, _)) = name(old) else { continue };
        let Some(from) = old_parts.pop() else { continue };
        let Some((at, next)) = lines[i + 1..].iter().find(|(_, l)| !l.trim().is_empty()) else {
            continue;
        };
        let Some(statement) = script
            .statements
            .iter()
            .find(|s| s.end > *at && s.start < at + next.len())
        else {
            continue;
        };
        let text = &sql[statement.start..statement.end];
        let Some((schema, table, after)) = table_of(text) else {
            continue;
        };
        let starts_here = statement.start >= *at;
        let column = if text.trim_start().to_ascii_uppercase().starts_with("ALTER") {
            // ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] name …
            let rest = after_words(after, &["ADD"]);
            let rest = rest.map(|r| after_words(r, &["COLUMN"]).unwrap_or(r));
            let rest = rest.map(|r| after_words(r, &["IF", "NOT", "EXISTS"]).unwrap_or(r));
            match rest.and_then(name) {
                Some((p, _)) => p.into_iter().next(),
                None => continue,
            }
        } else if starts_here {
            None
        } else {
            match name(next) {
                Some((p, _)) => p.into_iter().next(),
                None => continue,
            }
        };
        out.push(Declared {
            schema,
            table,
            column,
            from,
        });
    }
    out
}

/// Writes declared renames into a snapshot read back from the database the script built.
pub fn apply(snapshot: &mut Snapshot, declared: &[Declared]) {
    for d in declared {
        let Some(t) = snapshot
            .tables
            .iter_mut()
            .find(|t| t.schema == d.schema && t.name == d.table)
        else {
            continue;
        };
        match &d.column {
            None => t.renamed_from = Some(d.from.clone()),
            Some(c) => {
                if let Some(col) = t.columns.iter_mut().find(|x| &x.name == c) {
                    col.renamed_from = Some(d.from.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_declarations_before_tables_and_columns() {
        let sql = "-- schemareg:renamed_from customers\n\
                   CREATE TABLE app.\"Clients\" (\n\
                       id int,\n\
                       -- schemareg:renamed_from full_name\n\
                       name text\n\
                   );\n\
                   -- schemareg:renamed_from \"Old Note\"\n\
                   ALTER TABLE ONLY app.\"Clients\" ADD COLUMN IF NOT EXISTS note text;\n";
        let script = super::super::split::split(sql).unwrap();
        let got = declared(sql, &script);
        let d = |column: Option<&str>, from: &str| Declared {
            schema: "app".into(),
            table: "Clients".into(),
            column: column.map(str::to_string),
            from: from.into(),
        };
        assert_eq!(
            got,
            vec![
                d(None, "customers"),
                d(Some("name"), "full_name"),
                d(Some("note"), "Old Note")
            ]
        );
    }
}
