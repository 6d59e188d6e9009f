//! What every text of a snapshot must be before it may reach SQL, checked on the document
//! itself (so a field added to the model is checked without a word here):
//!
//! - no text holds the NUL character (PostgreSQL's text cannot, and a driver would cut it);
//! - every name (a field called `name`, `schema`, `table`, `column`, `role`, `grantee`,
//!   `owner`, `renamed_from`, `sequence_name`, and the lists `columns`, `include`,
//!   `referenced_columns`, `roles`, `labels`, `keys` when they hold names) fits PostgreSQL's
//!   63 bytes: a longer one would be cut short, and another object named;
//! - every argument list reads as one ([`crate::render::arguments`]): it is written into
//!   statements from its tokens.

use serde_json::Value;

use super::ParseError;
use crate::render::arguments::parse_arguments;

/// PostgreSQL's longest name, in bytes (`NAMEDATALEN` − 1).
pub const MAX_NAME_BYTES: usize = 63;

const NAME_FIELDS: [&str; 9] = [
    "name",
    "schema",
    "table",
    "column",
    "role",
    "grantee",
    "owner",
    "renamed_from",
    "sequence_name",
];
const NAME_LISTS: [&str; 6] = ["columns", "include", "referenced_columns", "roles", "labels", "keys"];
/// Lists whose entries say what is not compared, in words, never as names in SQL.
const WORDS_ONLY: [&str; 1] = ["unmodelled"];

/// Checks the texts of a snapshot document.
pub fn check(doc: &Value) -> Result<(), ParseError> {
    walk(doc, &mut String::new(), Place::Other)
}

#[derive(Clone, Copy, PartialEq)]
enum Place {
    Other,
    Name,
    Arguments,
    Words,
}

fn walk(v: &Value, path: &mut String, place: Place) -> Result<(), ParseError> {
    let invalid = |path: &str, message: String| ParseError::Invalid {
        path: path.trim_start_matches('.').to_string(),
        message,
    };
    match v {
        Value::String(s) => {
            if s.contains('\0') {
                return Err(invalid(
                    path,
                    "holds the NUL character, which PostgreSQL's text cannot hold".into(),
                ));
            }
            if place == Place::Name && s.len() > MAX_NAME_BYTES {
                return Err(invalid(
                    path,
                    format!(
                        "a name of {} bytes: PostgreSQL's names are at most {MAX_NAME_BYTES} bytes (it would cut this one short)",
                        s.len()
                    ),
                ));
            }
            if place == Place::Arguments {
                parse_arguments(s).map_err(|e| invalid(path, e.to_string()))?;
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, place)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(fields) => {
            for (key, value) in fields {
                let len = path.len();
                path.push('.');
                path.push_str(key);
                let inner = match place {
                    Place::Words => Place::Words,
                    _ if WORDS_ONLY.contains(&key.as_str()) => Place::Words,
                    _ if NAME_FIELDS.contains(&key.as_str()) || NAME_LISTS.contains(&key.as_str()) => Place::Name,
                    _ if key == "arguments" => Place::Arguments,
                    _ => Place::Other,
                };
                walk(value, path, inner)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn says(doc: Value) -> String {
        check(&doc).unwrap_err().to_string()
    }

    #[test]
    fn names_fit_and_no_text_holds_nul() {
        let long = "x".repeat(64);
        let e = says(serde_json::json!({"tables": [{"schema": "public", "name": long}]}));
        assert!(e.contains("tables[0].name") && e.contains("64 bytes"), "{e}");
        let e = says(serde_json::json!({"tables": [{"columns": [{"name": "a", "comment": "a\u{0}b"}]}]}));
        assert!(e.contains("tables[0].columns[0].comment") && e.contains("NUL"), "{e}");
        let e = says(serde_json::json!({"tables": [{"primary_key": {"columns": [long]}}]}));
        assert!(e.contains("tables[0].primary_key.columns[0]"), "{e}");
        let e = says(serde_json::json!({"owners": [{"arguments": ") OWNER TO r; COPY x TO PROGRAM 'id'; --"}]}));
        assert!(e.contains("owners[0].arguments") && e.contains("argument list"), "{e}");
        // Long texts that are not names, and what is not compared, may be long.
        let fine = serde_json::json!({"tables": [{"name": "x".repeat(63), "comment": "y".repeat(100_000),
            "columns": [{"name": "a", "default": "z".repeat(1000)}]}],
            "unmodelled": [{"kind": "rule", "name": long}]});
        assert!(check(&fine).is_ok());
        // 63 bytes, counted as bytes: 21 three-byte characters fit, 22 do not.
        assert!(check(&serde_json::json!({"schemas": [{"name": "€".repeat(21)}]})).is_ok());
        assert!(check(&serde_json::json!({"schemas": [{"name": "€".repeat(22)}]})).is_err());
    }
}
