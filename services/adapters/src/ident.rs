//! Reading identifiers as PostgreSQL writes them: a double-quoted name, `""` standing for `"`.

/// The double-quoted identifier `text` starts with, unescaped, and the text after its closing
/// quote; none when `text` does not start with one or it is never closed.
pub fn quoted_prefix(text: &str) -> Option<(String, &str)> {
    let mut rest = text.strip_prefix('"')?;
    let mut out = String::new();
    loop {
        let k = rest.find('"')?;
        out.push_str(&rest[..k]);
        rest = &rest[k + 1..];
        match rest.strip_prefix('"') {
            Some(more) => {
                out.push('"');
                rest = more;
            }
            None => return Some((out, rest)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_doubled_quotes_and_keeps_the_rest() {
        assert_eq!(quoted_prefix("\"a \"\"b\"\"\".t"), Some(("a \"b\"".to_string(), ".t")));
        assert_eq!(quoted_prefix("\"\"\"\"=r/x"), Some(("\"".to_string(), "=r/x")));
        assert_eq!(quoted_prefix("\"open"), None);
        assert_eq!(quoted_prefix("plain"), None);
    }
}
