//! `ALTER DEFAULT PRIVILEGES FOR ROLE …` in a pushed script. The scratch database's owner may
//! not set another role's default privileges, so these statements are read here (their
//! grammar has no expressions: roles, schemas, privilege keywords) and written again from
//! what was read, names quoted, for the server's admin to run once the script has committed.
//! Nothing of the user's text reaches the admin's session.

use schemareg_engine::render::ident::ident;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An unquoted word, as PostgreSQL folds it (lower case) and as written.
    Word(String),
    /// A quoted identifier, unescaped.
    Quoted(String),
    Comma,
}

/// Why a statement cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(String);

fn unreadable(what: impl Into<String>) -> Unreadable {
    Unreadable(what.into())
}

fn tokens(text: &str) -> Result<Vec<Token>, Unreadable> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() || c == b';' {
            i += 1;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = super::split::block_comment_end(b, i).ok_or_else(|| unreadable("a comment is never closed"))?;
        } else if c == b',' {
            out.push(Token::Comma);
            i += 1;
        } else if c == b'"' {
            let (name, rest) =
                crate::ident::quoted_prefix(&text[i..]).ok_or_else(|| unreadable("a quoted name is never closed"))?;
            out.push(Token::Quoted(name));
            i = text.len() - rest.len();
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80) {
                i += 1;
            }
            out.push(Token::Word(text[start..i].to_ascii_lowercase()));
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            return Err(unreadable(format!("{ch:?} has no place in ALTER DEFAULT PRIVILEGES")));
        }
    }
    Ok(out)
}

struct Reader {
    tokens: Vec<Token>,
    at: usize,
}

impl Reader {
    fn peek_word(&self) -> Option<&str> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn word(&mut self, w: &str) -> bool {
        if self.peek_word() == Some(w) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, w: &str) -> Result<(), Unreadable> {
        if self.word(w) {
            Ok(())
        } else {
            Err(unreadable(format!("expected {} here", w.to_ascii_uppercase())))
        }
    }

    fn comma(&mut self) -> bool {
        if self.tokens.get(self.at) == Some(&Token::Comma) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// A name, or for grantees `PUBLIC` (`None`).
    fn name(&mut self, public: bool) -> Result<Option<String>, Unreadable> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        match t {
            Some(Token::Quoted(n)) => Ok(Some(n)),
            Some(Token::Word(w)) if public && w == "public" => Ok(None),
            Some(Token::Word(w)) if ["current_user", "current_role", "session_user"].contains(&w.as_str()) => Err(
                unreadable(format!("name the role instead of {}", w.to_ascii_uppercase())),
            ),
            Some(Token::Word(w)) => Ok(Some(w)),
            _ => Err(unreadable("a name is missing")),
        }
    }

    fn names(&mut self, public: bool) -> Result<Vec<Option<String>>, Unreadable> {
        let mut out = vec![self.name(public)?];
        while self.comma() {
            out.push(self.name(public)?);
        }
        Ok(out)
    }
}

const PRIVILEGES: [&str; 11] = [
    "select",
    "insert",
    "update",
    "delete",
    "truncate",
    "references",
    "trigger",
    "maintain",
    "usage",
    "create",
    "execute",
];

const KINDS: [(&str, &str); 6] = [
    ("tables", "TABLES"),
    ("sequences", "SEQUENCES"),
    ("functions", "FUNCTIONS"),
    ("routines", "FUNCTIONS"),
    ("types", "TYPES"),
    ("schemas", "SCHEMAS"),
];

/// The statement read and written again: `ALTER DEFAULT PRIVILEGES FOR ROLE "a" IN SCHEMA "s"
/// GRANT SELECT ON TABLES TO "b"`, and the roles it names (to be made when missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    pub sql: String,
    pub roles: Vec<String>,
}

/// Reads one `ALTER DEFAULT PRIVILEGES` statement and writes it again.
pub fn rewrite(text: &str) -> Result<Rewritten, Unreadable> {
    let mut r = Reader {
        tokens: tokens(text)?,
        at: 0,
    };
    for w in ["alter", "default", "privileges"] {
        r.expect(w)?;
    }
    let mut roles: Vec<String> = Vec::new();
    let mut schemas: Vec<String> = Vec::new();
    loop {
        if r.word("for") {
            if !(r.word("role") || r.word("user")) {
                return Err(unreadable("expected ROLE or USER after FOR"));
            }
            roles.extend(r.names(false)?.into_iter().flatten());
        } else if r.word("in") {
            r.expect("schema")?;
            schemas.extend(r.names(false)?.into_iter().flatten());
        } else {
            break;
        }
    }
    let grant = if r.word("grant") {
        true
    } else if r.word("revoke") {
        false
    } else {
        return Err(unreadable("expected GRANT or REVOKE"));
    };
    let option_for = !grant && r.word("grant") && {
        r.expect("option")?;
        r.expect("for")?;
        true
    };
    let mut privileges: Vec<&str> = Vec::new();
    if r.word("all") {
        r.word("privileges");
        privileges.push("ALL");
    } else {
        loop {
            let Some(p) = r.peek_word().and_then(|w| PRIVILEGES.iter().find(|p| **p == w)) else {
                return Err(unreadable("expected a privilege (SELECT, USAGE, EXECUTE, …) or ALL"));
            };
            privileges.push(p);
            r.at += 1;
            if !r.comma() {
                break;
            }
        }
    }
    r.expect("on")?;
    let kind = r
        .peek_word()
        .and_then(|w| KINDS.iter().find(|(k, _)| *k == w))
        .map(|(_, k)| *k)
        .ok_or_else(|| unreadable("expected TABLES, SEQUENCES, FUNCTIONS, ROUTINES, TYPES or SCHEMAS"))?;
    r.at += 1;
    r.expect(if grant { "to" } else { "from" })?;
    r.word("group");
    let grantees = r.names(true)?;
    let mut tail = String::new();
    if grant && r.word("with") {
        r.expect("grant")?;
        r.expect("option")?;
        tail.push_str(" WITH GRANT OPTION");
    } else if !grant && (r.word("cascade") || r.word("restrict")) {
        // Nothing depends on default privileges: both mean the same here.
    }
    if r.at < r.tokens.len() {
        return Err(unreadable("the statement goes on after its grantees"));
    }
    let list = |names: &[String]| names.iter().map(|n| ident(n)).collect::<Vec<_>>().join(", ");
    let mut sql = String::from("ALTER DEFAULT PRIVILEGES");
    if !roles.is_empty() {
        sql.push_str(&format!(" FOR ROLE {}", list(&roles)));
    }
    if !schemas.is_empty() {
        sql.push_str(&format!(" IN SCHEMA {}", list(&schemas)));
    }
    let privileges = privileges
        .iter()
        .map(|p| p.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(", ");
    let who = grantees
        .iter()
        .map(|g| g.as_deref().map_or("PUBLIC".to_string(), ident))
        .collect::<Vec<_>>()
        .join(", ");
    if grant {
        sql.push_str(&format!(" GRANT {privileges} ON {kind} TO {who}{tail}"));
    } else {
        let option = if option_for { "GRANT OPTION FOR " } else { "" };
        sql.push_str(&format!(" REVOKE {option}{privileges} ON {kind} FROM {who}"));
    }
    roles.extend(grantees.into_iter().flatten());
    roles.sort();
    roles.dedup();
    Ok(Rewritten { sql, roles })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_again_what_postgresql_accepts() {
        let cases = [
            (
                "ALTER DEFAULT PRIVILEGES FOR ROLE app, \"Odd \"\"One\"\"\" IN SCHEMA public GRANT SELECT, insert ON TABLES TO reader, PUBLIC;",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"app\", \"Odd \"\"One\"\"\" IN SCHEMA \"public\" GRANT SELECT, INSERT ON TABLES TO \"reader\", PUBLIC",
            ),
            (
                "alter default privileges in schema s for user app /* c */ revoke grant option for all privileges on routines from group x cascade",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"app\" IN SCHEMA \"s\" REVOKE GRANT OPTION FOR ALL ON FUNCTIONS FROM \"x\"",
            ),
            (
                "ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT USAGE ON TYPES TO anon WITH GRANT OPTION",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"postgres\" GRANT USAGE ON TYPES TO \"anon\" WITH GRANT OPTION",
            ),
        ];
        for (text, sql) in cases {
            assert_eq!(rewrite(text).unwrap().sql, sql, "{text}");
        }
        assert_eq!(rewrite(cases[0].0).unwrap().roles, ["Odd \"One\"", "app", "reader"]);
    }

    #[test]
    fn refuses_anything_else() {
        for text in [
            "ALTER DEFAULT PRIVILEGES FOR ROLE app GRANT SELECT ON TABLES TO x; DROP TABLE t",
            "ALTER DEFAULT PRIVILEGES FOR ROLE app GRANT SELECT ON TABLES TO x WITH ADMIN OPTION",
            "ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER GRANT SELECT ON TABLES TO x",
            "ALTER DEFAULT PRIVILEGES FOR ROLE app GRANT SELECT ON TABLES TO 'x'",
            "ALTER DEFAULT PRIVILEGES FOR ROLE app GRANT pg_read ON TABLES TO x",
            "ALTER DEFAULT PRIVILEGES FOR ROLE app GRANT SELECT ON TABLES TO \"x",
        ] {
            assert!(rewrite(text).is_err(), "{text}");
        }
    }
}
