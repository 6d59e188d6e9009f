//! Routines' argument lists (`uid uuid, VARIADIC rest text[]`), as `DROP FUNCTION f(…)`,
//! `COMMENT ON FUNCTION f(…)`, `GRANT … ON FUNCTION f(…)` and `ALTER ROUTINE f(…) OWNER TO`
//! name a routine.
//!
//! A snapshot's `arguments` is user text, and the list sits inside a statement. It is never
//! pasted: it is read as tokens (names, quoted names, whole numbers, `.`, `,`, `(`, `)`, `[`,
//! `]`, a lone `*`) in the shapes an argument list has (a type's modifiers in parentheses
//! after its name, array brackets, qualified names), and written again from those tokens.
//! Nothing else gets through (no quote of another kind, no `;`, no comment, no `$`-quote), and
//! parentheses only hold numbers, so nothing in a list can end the list or the statement.
//! PostgreSQL's own printing (`pg_get_function_identity_arguments`) is written back as it was.

use super::ident::ident;

/// Why a text is not an argument list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an argument list: {0}")]
pub struct ArgumentsError(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A name as written (`integer`, `VARIADIC`, `uid`).
    Word(String),
    /// A quoted name, unquoted (`Mood` from `"Mood"`).
    Quoted(String),
    Number(String),
    Punct(char),
}

fn tokens(text: &str) -> Result<Vec<Token>, ArgumentsError> {
    let bad = |m: String| Err(ArgumentsError(m));
    let word_start = |c: char| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii();
    let word_char = |c: char| word_start(c) || c.is_ascii_digit() || c == '$';
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {}
            '"' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            name.push('"');
                        }
                        Some('"') => break,
                        Some('\0') => return bad("a name holds the NUL character".into()),
                        Some(c) => name.push(c),
                        None => return bad("a quoted name is not closed".into()),
                    }
                }
                if name.is_empty() {
                    return bad("a quoted name is empty".into());
                }
                out.push(Token::Quoted(name));
            }
            c if c.is_ascii_digit() => {
                let mut n = String::from(c);
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(d);
                    chars.next();
                }
                if chars.peek().is_some_and(|&d| word_char(d)) {
                    return bad(format!("{n} runs into a name"));
                }
                out.push(Token::Number(n));
            }
            c if word_start(c) => {
                let mut w = String::from(c);
                while let Some(&d) = chars.peek().filter(|&&d| word_char(d)) {
                    w.push(d);
                    chars.next();
                }
                out.push(Token::Word(w));
            }
            '(' | ')' | '[' | ']' | ',' | '.' | '*' => out.push(Token::Punct(c)),
            other => return bad(format!("{other:?} has no place in an argument list")),
        }
    }
    Ok(out)
}

/// Reads an argument list and writes it again from its tokens; the error says what does not
/// belong in one.
pub fn parse_arguments(text: &str) -> Result<String, ArgumentsError> {
    let tokens = tokens(text)?;
    if tokens == [Token::Punct('*')] {
        return Ok("*".into());
    }
    let bad = |m: &str| Err(ArgumentsError(m.into()));
    let mut out = String::new();
    // What the last token was, to check each one's place and to space the output.
    #[derive(PartialEq, Clone, Copy)]
    enum Last {
        Start,
        Name,
        Dot,
        Close,
    }
    let mut last = Last::Start;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Word(_) | Token::Quoted(_) => {
                if last == Last::Name || last == Last::Close {
                    out.push(' ');
                }
                match &tokens[i] {
                    Token::Word(w) => out.push_str(w),
                    Token::Quoted(q) => out.push_str(&ident(q)),
                    _ => unreachable!(),
                }
                last = Last::Name;
            }
            Token::Punct('.') => {
                if last != Last::Name {
                    return bad("a `.` comes only between names");
                }
                out.push('.');
                last = Last::Dot;
            }
            Token::Punct(',') => {
                if last != Last::Name && last != Last::Close {
                    return bad("an argument is empty");
                }
                out.push_str(", ");
                last = Last::Start;
            }
            Token::Punct('(') => {
                // A type's modifiers: `numeric(10,2)`.
                if last != Last::Name {
                    return bad("`(` comes only after a type's name");
                }
                out.push('(');
                let mut first = true;
                loop {
                    i += 1;
                    match tokens.get(i) {
                        Some(Token::Number(n)) if first => out.push_str(n),
                        Some(Token::Punct(',')) if !first => match tokens.get(i + 1) {
                            Some(Token::Number(n)) => {
                                out.push(',');
                                out.push_str(n);
                                i += 1;
                            }
                            _ => return bad("a type's modifiers are whole numbers"),
                        },
                        Some(Token::Punct(')')) if !first => break,
                        _ => return bad("a type's modifiers are whole numbers in parentheses"),
                    }
                    first = false;
                }
                out.push(')');
                last = Last::Close;
            }
            Token::Punct('[') => {
                if last != Last::Name && last != Last::Close {
                    return bad("`[` comes only after a type");
                }
                out.push('[');
                if let Some(Token::Number(n)) = tokens.get(i + 1) {
                    out.push_str(n);
                    i += 1;
                }
                if tokens.get(i + 1) != Some(&Token::Punct(']')) {
                    return bad("`[` is closed by `]`, with at most a whole number between");
                }
                i += 1;
                out.push(']');
                last = Last::Close;
            }
            Token::Number(_) => return bad("a number stands only in a type's modifiers or brackets"),
            Token::Punct(_) => return bad("`)`, `]` and `*` stand only where an argument list has them"),
        }
        i += 1;
    }
    if last == Last::Dot || (last == Last::Start && !out.is_empty()) {
        return bad("the list ends in the middle of an argument");
    }
    Ok(out)
}

/// The argument list for SQL. A list that does not read (a snapshot's were read when it was
/// parsed, so only a model built otherwise) is written as one quoted name, which PostgreSQL
/// refuses as a type: never as text of its own.
pub fn arguments(text: &str) -> String {
    parse_arguments(text).unwrap_or_else(|_| ident(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_postgresqls_printing_back_as_it_was() {
        for text in [
            "",
            "*",
            "integer",
            "uid uuid, b text",
            "VARIADIC arr integer[]",
            "a character varying, b timestamp with time zone, c double precision",
            "x public.\"Mood\", \"my arg\" \"char\"",
            "n numeric(10,2), t timestamp(3) with time zone",
            "double precision ORDER BY anyelement",
            "VARIADIC \"any\" ORDER BY VARIADIC \"any\"",
            "m integer[][], k int4[3]",
            "OUT r integer, INOUT s text",
            "\"a \"\"quoted\"\" name\" integer",
        ] {
            assert_eq!(parse_arguments(text).as_deref(), Ok(text), "{text}");
        }
        assert_eq!(
            parse_arguments("  a   integer ,b  text[ ] ").as_deref(),
            Ok("a integer, b text[]")
        );
    }

    #[test]
    fn nothing_ends_the_list_or_the_statement() {
        for text in [
            ") OWNER TO \"r\"; COPY (SELECT current_user) TO PROGRAM 'id'; --",
            "integer); DROP TABLE t; --",
            "integer) --",
            "a integer /* x */",
            "a text DEFAULT 'x'",
            "$$",
            "a integer;",
            "numeric(10, x)",
            "numeric(10",
            "a integer]",
            "(integer)",
            "\"unclosed",
            "\"\" integer",
            "a integer,",
            ", a integer",
            "a.",
            "public..t",
            "a \\ b",
            "a\0b",
            "integer * integer",
            "1abc",
        ] {
            assert!(
                parse_arguments(text).is_err(),
                "{text:?} was read as {:?}",
                parse_arguments(text)
            );
        }
        assert_eq!(
            arguments("integer); DROP TABLE t; --"),
            "\"integer); DROP TABLE t; --\""
        );
    }
}
