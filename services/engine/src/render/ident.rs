//! Identifiers and literals in rendered SQL. Every name schemareg writes is quoted.

use crate::model::QualifiedName;

/// `"name"`, with embedded quotes doubled.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `"schema"."name"`.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

pub fn qn(q: &QualifiedName) -> String {
    qualified(&q.schema, &q.name)
}

/// A string literal: `'text'` with quotes doubled (standard_conforming_strings is on in every
/// supported PostgreSQL); backslashes make it an `E''` literal.
pub fn literal(text: &str) -> String {
    if text.contains('\\') {
        format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// A comment value: a literal or `NULL`.
pub fn comment_value(text: Option<&str>) -> String {
    text.map(literal).unwrap_or_else(|| "NULL".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_everything_safely() {
        assert_eq!(ident("users"), "\"users\"");
        assert_eq!(ident("Order \"Items\""), "\"Order \"\"Items\"\"\"");
        assert_eq!(qualified("public", "t"), "\"public\".\"t\"");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b"), "E'a\\\\b'");
        assert_eq!(comment_value(None), "NULL");
    }
}
