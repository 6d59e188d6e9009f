//! Names quoted as the server's `quote_ident` quotes them, for the definitions the builder
//! writes itself instead of asking the server to (`pg_get_constraintdef` and the index key
//! columns cost a catalog lookup per name on a fresh connection).
//!
//! A name stays bare when it is lower-case letters, digits and underscores, does not start
//! with a digit, is not a keyword other than an unreserved one, and `quote_all_identifiers`
//! is off; otherwise it is double-quoted with `"` doubled. The keywords come from the server
//! (`pg_get_keywords()`): the list changes between major versions.

use std::borrow::Cow;
use std::collections::HashSet;

/// The query of the keywords.
pub(super) const QUERY: &str = "keywords";

/// How the server being read quotes identifiers.
#[derive(Debug, Default, Clone)]
pub(super) struct Quoter {
    /// Keywords that are not unreserved (these need quotes as names).
    keywords: HashSet<String>,
    /// `quote_all_identifiers` is on: every name is quoted.
    all: bool,
}

impl Quoter {
    pub(super) fn new(keywords: impl IntoIterator<Item = String>, all: bool) -> Quoter {
        Quoter {
            keywords: keywords.into_iter().collect(),
            all,
        }
    }

    /// `name` as `quote_ident(name)` prints it.
    pub(super) fn ident<'a>(&self, name: &'a str) -> Cow<'a, str> {
        let bare = !self.all
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
            && !self.keywords.contains(name);
        if bare {
            Cow::Borrowed(name)
        } else {
            Cow::Owned(format!("\"{}\"", name.replace('"', "\"\"")))
        }
    }

    /// Names quoted and joined with `, `, as column lists are printed.
    pub(super) fn list<S: AsRef<str>>(&self, names: &[S]) -> String {
        let mut out = String::new();
        for (k, n) in names.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            out.push_str(&self.ident(n.as_ref()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_quote_ident_quotes() {
        let q = Quoter::new(["select".to_string(), "user".to_string()], false);
        assert_eq!(q.ident("plain_1"), "plain_1");
        assert_eq!(q.ident("_x"), "_x");
        assert_eq!(q.ident("1st"), "\"1st\"");
        assert_eq!(q.ident("Mixed"), "\"Mixed\"");
        assert_eq!(q.ident("with space"), "\"with space\"");
        assert_eq!(q.ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(q.ident("café"), "\"café\"");
        assert_eq!(q.ident("select"), "\"select\"");
        assert_eq!(q.ident("user"), "\"user\"");
        assert_eq!(q.ident("name"), "name");
        assert_eq!(q.list(&["a", "User"]), "a, \"User\"");
        let all = Quoter::new(Vec::new(), true);
        assert_eq!(all.ident("plain"), "\"plain\"");
    }
}
