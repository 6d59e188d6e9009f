//! Splitting a DDL script into statements the way psql does, without a SQL parser.
//!
//! The lexer knows what can hide a semicolon: quoted strings (standard and `E'…'`), quoted
//! identifiers, dollar quotes, line and nested block comments, parentheses, and the
//! `BEGIN ATOMIC … END` bodies of SQL-standard functions (psql's own heuristic). psql
//! meta-commands are not SQL: `\restrict` and `\unrestrict` (which `pg_dump` writes) are
//! passed over, any other is refused.
//!
//! Statements about ownership of other objects (`ALTER DATABASE … OWNER TO`), role memberships and privileges outside
//! the schema (databases, tablespaces, …), transaction control and role switches are marked
//! to be skipped: snapshots do not model them, and the script runs as an unprivileged role in
//! one transaction of our own. Default privileges of other roles (`ALTER DEFAULT PRIVILEGES
//! FOR ROLE …`) are marked [`OTHER_ROLES_DEFAULTS`]: they run after the script, read and
//! written again (see `default_privileges`). `ALTER … OWNER TO` on the kinds snapshots model
//! is marked [`GIVEN_AFTER`]: the object is found and given after the script (see `owners`),
//! except to roles of the scratch server itself ([`SERVER_ROLE_OWNERSHIP`]).

/// The mark of `ALTER … OWNER TO` a role on the kinds snapshots model: not run with the
/// script, but after it (see `owners`).
pub const GIVEN_AFTER: &str = "objects given to other roles";

/// The mark of `ALTER … OWNER TO` a role of the scratch server itself (not one made for the
/// run), which the scratch owner may not act for: passed over.
pub const SERVER_ROLE_OWNERSHIP: &str = "ownership given to the scratch server's own roles";

/// The mark of `ALTER DEFAULT PRIVILEGES FOR ROLE …`: not run with the script, but after it.
pub const OTHER_ROLES_DEFAULTS: &str = "default privileges for other roles";

/// A statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Byte offset of its first significant character.
    pub start: usize,
    /// Byte offset just past its terminating `;` (or the end of the text).
    pub end: usize,
    /// Why it is not run, if it is not.
    pub skip: Option<&'static str>,
    /// The role `ALTER … OWNER TO` gives an object of a kind snapshots model to (it runs
    /// only when the scratch owner may act for that role: see `ingest`).
    pub owner: Option<String>,
}

/// Why a script cannot be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("{what} that starts here is never closed")]
    Unterminated { offset: usize, what: &'static str },
    #[error("psql meta-command \\{command} is not SQL; remove it (only \\restrict and \\unrestrict are passed over)")]
    MetaCommand { offset: usize, command: String },
    #[error("COPY … FROM stdin carries data, not DDL; load a schema-only dump (pg_dump --schema-only)")]
    CopyFromStdin { offset: usize },
    #[error("a NUL byte (\\0) is not allowed in SQL text; PostgreSQL cannot take it")]
    Nul { offset: usize },
}

impl SplitError {
    pub fn offset(&self) -> usize {
        match self {
            SplitError::Unterminated { offset, .. }
            | SplitError::MetaCommand { offset, .. }
            | SplitError::CopyFromStdin { offset }
            | SplitError::Nul { offset } => *offset,
        }
    }
}

/// A split script.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub statements: Vec<Statement>,
    /// Byte ranges of meta-command lines passed over.
    pub passed_over: Vec<(usize, usize)>,
}

impl Script {
    /// The text to send: the original with skipped statements and meta-commands blanked out
    /// character by character, so that PostgreSQL's error positions (in characters) and line
    /// numbers still point into the original.
    pub fn runnable_text(&self, text: &str) -> String {
        let mut blank: Vec<(usize, usize)> = self.passed_over.clone();
        blank.extend(
            self.statements
                .iter()
                .filter(|s| s.skip.is_some())
                .map(|s| (s.start, s.end)),
        );
        blank.sort();
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for (a, b) in blank {
            if a < pos {
                continue;
            }
            out.push_str(&text[pos..a]);
            out.extend(text[a..b].chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
            pos = b;
        }
        out.push_str(&text[pos..]);
        out
    }

    /// The statements marked `mark` (those run after the script, say).
    pub fn marked(&self, mark: &'static str) -> impl Iterator<Item = &Statement> {
        self.statements.iter().filter(move |s| s.skip == Some(mark))
    }

    /// The statements that run.
    pub fn runnable(&self) -> impl Iterator<Item = &Statement> {
        self.statements.iter().filter(|s| s.skip.is_none())
    }

    /// How many statements are skipped, by reason.
    pub fn skipped(&self) -> std::collections::BTreeMap<&'static str, usize> {
        let mut m = std::collections::BTreeMap::new();
        for s in &self.statements {
            if let Some(r) = s.skip.filter(|r| *r != OTHER_ROLES_DEFAULTS && *r != GIVEN_AFTER) {
                *m.entry(r).or_default() += 1;
            }
        }
        m
    }
}

/// Where the (nested) block comment opening at `i` ends, if it does.
pub(super) fn block_comment_end(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Some(i);
            }
        } else {
            i += 1;
        }
    }
    None
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_char(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || c == b'$'
}

/// Splits a script into statements.
pub fn split(text: &str) -> Result<Script, SplitError> {
    if let Some(offset) = text.find('\0') {
        return Err(SplitError::Nul { offset });
    }
    let b = text.as_bytes();
    let n = b.len();
    let mut script = Script::default();
    let mut i = 0;
    let mut start: Option<usize> = None;
    let mut words: Vec<String> = Vec::new();
    let mut paren = 0i32;
    let mut begin_depth = 0i32;

    let finish = |script: &mut Script, start: usize, end: usize, words: &mut Vec<String>| -> Result<(), SplitError> {
        if words.first().is_some_and(|w| w == "COPY") && words.windows(2).any(|w| w[0] == "FROM" && w[1] == "STDIN") {
            return Err(SplitError::CopyFromStdin { offset: start });
        }
        let owner = gives_to(words);
        script.statements.push(Statement {
            start,
            end,
            skip: if owner.is_some() {
                Some(GIVEN_AFTER)
            } else {
                classify(words)
            },
            owner,
        });
        words.clear();
        Ok(())
    };

    while i < n {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < n && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let open = i;
            i = block_comment_end(b, i).ok_or(SplitError::Unterminated {
                offset: open,
                what: "a /* comment */",
            })?;
            continue;
        }
        if c == b'\\' && start.is_none() {
            let line_end = text[i..].find('\n').map_or(n, |k| i + k);
            let command: String = text[i + 1..line_end]
                .chars()
                .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '_')
                .take(40)
                .collect();
            if command != "restrict" && command != "unrestrict" {
                return Err(SplitError::MetaCommand { offset: i, command });
            }
            script.passed_over.push((i, line_end));
            i = line_end;
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        match c {
            b'\'' => i = skip_string(b, i, false)?,
            b'"' => {
                let open = i;
                i += 1;
                loop {
                    match b.get(i) {
                        None => {
                            return Err(SplitError::Unterminated {
                                offset: open,
                                what: "a quoted identifier",
                            });
                        }
                        Some(b'"') if b.get(i + 1) == Some(&b'"') => i += 2,
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                words.push(text[open..i].to_string());
            }
            b'$' => {
                // A dollar quote `$tag$…$tag$`, or a parameter `$1`.
                let mut j = i + 1;
                if b.get(j).is_some_and(|&x| is_ident_start(x)) {
                    while b.get(j).is_some_and(|&x| is_ident_char(x) && x != b'$') {
                        j += 1;
                    }
                }
                if b.get(j) == Some(&b'$') {
                    let tag = &text[i..=j];
                    match text[j + 1..].find(tag) {
                        Some(k) => i = j + 1 + k + tag.len(),
                        None => {
                            return Err(SplitError::Unterminated {
                                offset: i,
                                what: "a dollar-quoted string",
                            });
                        }
                    }
                } else {
                    i += 1;
                }
            }
            b'(' => {
                paren += 1;
                i += 1;
            }
            b')' => {
                paren -= 1;
                i += 1;
            }
            b';' if paren <= 0 && begin_depth == 0 => {
                i += 1;
                finish(&mut script, start.take().unwrap_or(i - 1), i, &mut words)?;
                paren = 0;
            }
            c if is_ident_start(c) => {
                let w0 = i;
                while i < n && is_ident_char(b[i]) {
                    i += 1;
                }
                let word = text[w0..i].to_ascii_uppercase();
                if (word == "E") && b.get(i) == Some(&b'\'') {
                    i = skip_string(b, i, true)?;
                    continue;
                }
                if paren == 0 && creates_routine(&words) {
                    match word.as_str() {
                        "BEGIN" => begin_depth += 1,
                        "CASE" if begin_depth >= 1 => begin_depth += 1,
                        "END" if begin_depth > 0 => begin_depth -= 1,
                        _ => {}
                    }
                }
                words.push(word);
            }
            _ => i += 1,
        }
    }
    if let Some(s) = start {
        finish(&mut script, s, n, &mut words)?;
    }
    Ok(script)
}

fn skip_string(b: &[u8], open: usize, escapes: bool) -> Result<usize, SplitError> {
    let mut i = open + 1;
    loop {
        match b.get(i) {
            None => {
                return Err(SplitError::Unterminated {
                    offset: open,
                    what: "a quoted string",
                });
            }
            Some(b'\\') if escapes => i += 2,
            Some(b'\'') if b.get(i + 1) == Some(&b'\'') => i += 2,
            Some(b'\'') => return Ok(i + 1),
            Some(_) => i += 1,
        }
    }
}

/// `CREATE [OR REPLACE] FUNCTION|PROCEDURE`: the statements whose `BEGIN … END` psql tracks.
fn creates_routine(words: &[String]) -> bool {
    let w = |k: usize| words.get(k).map(String::as_str);
    w(0) == Some("CREATE")
        && (matches!(w(1), Some("FUNCTION" | "PROCEDURE"))
            || (w(1) == Some("OR") && w(2) == Some("REPLACE") && matches!(w(3), Some("FUNCTION" | "PROCEDURE"))))
}

/// `GRANT`/`REVOKE` on the objects snapshots model run; role memberships (no `ON`) and
/// privileges on databases, tablespaces, languages, foreign servers, large objects and
/// parameters are passed over: they are the server's, not the schema's.
fn privileges(words: &[String]) -> Option<&'static str> {
    let Some(on) = words.iter().position(|w| w == "ON") else {
        return Some("role memberships");
    };
    let outside = ["DATABASE", "TABLESPACE", "LANGUAGE", "FOREIGN", "LARGE", "PARAMETER"];
    match words.get(on + 1) {
        Some(w) if outside.contains(&w.as_str()) => Some("privileges outside the schema"),
        _ => None,
    }
}

/// `ALTER <kind> … OWNER TO role` for the kinds snapshots model: the role, as PostgreSQL
/// reads the name (folded to lower case unless quoted). `CURRENT_USER` and the like are the
/// scratch owner itself: nothing to give.
fn gives_to(words: &[String]) -> Option<String> {
    let w = |k: usize| words.get(k).map(String::as_str);
    let kinds = [
        "TABLE",
        "VIEW",
        "MATERIALIZED",
        "SEQUENCE",
        "FUNCTION",
        "PROCEDURE",
        "ROUTINE",
        "AGGREGATE",
        "TYPE",
        "DOMAIN",
        "SCHEMA",
    ];
    let k = words.len();
    if w(0) != Some("ALTER") || !kinds.contains(&w(1)?) || k < 5 || words[k - 3] != "OWNER" || words[k - 2] != "TO" {
        return None;
    }
    if words.iter().any(|x| x == "RENAME") {
        return None;
    }
    let role = &words[k - 1];
    if let Some((quoted, _)) = crate::ident::quoted_prefix(role) {
        return Some(quoted);
    }
    match role.as_str() {
        "CURRENT_USER" | "CURRENT_ROLE" | "SESSION_USER" => None,
        r => Some(r.to_ascii_lowercase()),
    }
}

fn classify(words: &[String]) -> Option<&'static str> {
    let w = |k: usize| words.get(k).map(String::as_str);
    match w(0)? {
        "BEGIN" | "COMMIT" | "END" | "ROLLBACK" | "ABORT" | "SAVEPOINT" | "RELEASE" => Some("transaction control"),
        "START" if w(1) == Some("TRANSACTION") => Some("transaction control"),
        "GRANT" | "REVOKE" => privileges(words),
        "SECURITY" if w(1) == Some("LABEL") => Some("security labels"),
        "SET" | "RESET"
            if matches!(w(1), Some("ROLE")) || (w(1) == Some("SESSION") && w(2) == Some("AUTHORIZATION")) =>
        {
            Some("role switches")
        }
        "ALTER" if w(1) == Some("DEFAULT") && w(2) == Some("PRIVILEGES") => {
            let action = words
                .iter()
                .position(|x| x == "GRANT" || x == "REVOKE")
                .unwrap_or(words.len());
            words[..action]
                .iter()
                .any(|x| x == "FOR")
                .then_some(OTHER_ROLES_DEFAULTS)
        }
        "ALTER" => {
            let k = words.len();
            let owner_to = k >= 4 && words[k - 3] == "OWNER" && words[k - 2] == "TO";
            (owner_to && !words.iter().any(|x| x == "RENAME")).then_some("ownership")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<(String, Option<&'static str>)> {
        split(sql)
            .unwrap()
            .statements
            .iter()
            .map(|s| (sql[s.start..s.end].to_string(), s.skip))
            .collect()
    }

    #[test]
    fn splits_where_psql_would() {
        let cases: &[(&str, usize)] = &[
            ("CREATE TABLE a (x int); CREATE TABLE b (y int);", 2),
            ("SELECT ';'; SELECT 'it''s;';", 2),
            ("SELECT E'\\';' ; SELECT 1;", 2),
            ("CREATE TABLE \"a;b\" (x int);", 1),
            (
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$; SELECT 2;",
                2,
            ),
            (
                "CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql;",
                1,
            ),
            (
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END; SELECT 3;",
                2,
            ),
            ("-- a; comment\nSELECT 1; /* nested /* ; */ still */ SELECT 2", 2),
            ("SELECT $1; SELECT a$b FROM t;", 2),
            (
                "CREATE RULE r AS ON INSERT TO t DO (INSERT INTO u VALUES (1); INSERT INTO u VALUES (2));",
                1,
            ),
            ("BEGIN; CREATE TABLE t (); COMMIT;", 3),
        ];
        for (sql, count) in cases {
            assert_eq!(split(sql).unwrap().statements.len(), *count, "{sql}");
        }
    }

    #[test]
    fn marks_what_is_not_modelled() {
        let got = texts(
            "ALTER TABLE public.t OWNER TO app;\nALTER DATABASE d OWNER TO app;\nGRANT SELECT ON t TO x;\nGRANT app TO x;\nGRANT CONNECT ON DATABASE d TO x;\nALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO x;\nALTER DEFAULT PRIVILEGES FOR ROLE a GRANT SELECT ON TABLES TO x;\nALTER TABLE t RENAME COLUMN owner TO x;\nBEGIN;\nSET ROLE admin;\nCREATE TABLE t ();",
        );
        let skips: Vec<_> = got.iter().map(|(_, s)| *s).collect();
        assert_eq!(
            skips,
            vec![
                Some(GIVEN_AFTER),
                Some("ownership"),
                None,
                Some("role memberships"),
                Some("privileges outside the schema"),
                None,
                Some(OTHER_ROLES_DEFAULTS),
                None,
                Some("transaction control"),
                Some("role switches"),
                None
            ]
        );
    }

    #[test]
    fn names_the_role_objects_are_given_to() {
        let owners: Vec<Option<String>> = split(
            "ALTER FUNCTION f(int) OWNER TO \"Odd \"\"x\"\"\"; ALTER TABLE t OWNER TO App; ALTER VIEW v OWNER TO CURRENT_USER; ALTER SCHEMA s RENAME TO owner;",
        )
        .unwrap()
        .statements
        .into_iter()
        .map(|s| s.owner)
        .collect();
        assert_eq!(
            owners,
            [Some("Odd \"x\"".to_string()), Some("app".to_string()), None, None]
        );
    }

    #[test]
    fn passes_over_pg_dump_restrict_lines_and_refuses_other_meta_commands() {
        let sql = "\\restrict abc123\nCREATE TABLE t ();\n\\unrestrict abc123\n";
        let script = split(sql).unwrap();
        assert_eq!(script.statements.len(), 1);
        let text = script.runnable_text(sql);
        assert_eq!(text.len(), sql.len());
        assert!(!text.contains('\\'));
        assert!(matches!(
            split("\\connect other\nSELECT 1;"),
            Err(SplitError::MetaCommand { .. })
        ));
        assert!(matches!(
            split("COPY t (a) FROM stdin;\n1\n\\.\n"),
            Err(SplitError::CopyFromStdin { .. })
        ));
    }

    #[test]
    fn reports_what_is_left_open() {
        for sql in ["SELECT 'abc", "SELECT \"abc", "SELECT $$ abc", "/* abc"] {
            assert!(
                matches!(split(sql), Err(SplitError::Unterminated { offset, .. }) if offset < sql.len()),
                "{sql}"
            );
        }
    }

    #[test]
    fn blanking_keeps_character_positions() {
        let sql = "GRANT ALL ON t TO \"ünïcode\";\nCREATE TABLE é ();";
        let script = split(sql).unwrap();
        let text = script.runnable_text(sql);
        assert_eq!(text.chars().count(), sql.chars().count());
        assert!(text.ends_with("CREATE TABLE é ();"));
    }
}
