//! Reading a snapshot from JSON, with errors a person can act on.

mod texts;

pub use texts::MAX_NAME_BYTES;

use crate::canonical::normalize;
use crate::model::{DefaultObjects, FORMAT, GrantKind, OwnedKind, Privilege, Snapshot};

/// Why a document is not a usable snapshot.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not valid JSON (line {line}, column {column}): {message}")]
    NotJson {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("not a schemareg snapshot: the document has no numeric \"format\" field")]
    NotASnapshot,
    #[error(
        "snapshot format {found} is not supported: this schemareg reads format {FORMAT}; \
         upgrade schemareg to read newer snapshots"
    )]
    UnsupportedFormat { found: u64 },
    #[error("invalid snapshot at {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("invalid snapshot: {kind} {name} is listed twice")]
    Duplicate { kind: &'static str, name: String },
}

/// Parses, checks and normalises a snapshot document.
pub fn from_json(bytes: &[u8]) -> Result<Snapshot, ParseError> {
    let doc: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| ParseError::NotJson {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    // A snapshot is an object with a numeric format.
    match doc.as_object().and_then(|o| o.get("format")).and_then(|v| v.as_u64()) {
        None => return Err(ParseError::NotASnapshot),
        Some(f) if f != u64::from(FORMAT) => return Err(ParseError::UnsupportedFormat { found: f }),
        Some(_) => {}
    }
    texts::check(&doc)?;
    let mut snapshot: Snapshot = serde_path_to_error::deserialize(doc).map_err(|e| ParseError::Invalid {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    normalize(&mut snapshot);
    check_unique(&snapshot)?;
    check_grants(&snapshot)?;
    check_default_privileges(&snapshot)?;
    check_owners(&snapshot)?;
    Ok(snapshot)
}

/// The privileges an object of each kind can have.
fn allowed(kind: GrantKind) -> &'static [Privilege] {
    use Privilege::*;
    match kind {
        GrantKind::Schema => &[Usage, Create],
        GrantKind::Table => &[Select, Insert, Update, Delete, Truncate, References, Trigger, Maintain],
        GrantKind::Column => &[Select, Insert, Update, References],
        GrantKind::Sequence => &[Usage, Select, Update],
        GrantKind::Function | GrantKind::Procedure => &[Execute],
        GrantKind::Type => &[Usage],
    }
}

/// Each grant names its object the way its kind needs, and grants what that kind has.
fn check_grants(s: &Snapshot) -> Result<(), ParseError> {
    for (i, g) in s.grants.iter().enumerate() {
        let bad = |message: String| ParseError::Invalid {
            path: format!("grants[{i}]"),
            message,
        };
        let routine = matches!(g.kind, GrantKind::Function | GrantKind::Procedure);
        if (g.kind == GrantKind::Schema) != g.schema.is_none() {
            return Err(bad(
                "a grant on a schema has no \"schema\"; a grant on anything else needs one".into(),
            ));
        }
        if (g.kind == GrantKind::Column) != g.column.is_some() {
            return Err(bad(
                "\"column\" is given for grants on columns, and only for them".into()
            ));
        }
        if routine != g.arguments.is_some() {
            return Err(bad(
                "\"arguments\" is given for grants on functions and procedures, and only for them".into(),
            ));
        }
        if g.grantee.is_empty() {
            return Err(bad("\"grantee\" is empty: name a role, or PUBLIC".into()));
        }
        let kind = g.kind.keyword().to_ascii_lowercase();
        for p in g.privileges.iter().chain(&g.revoked) {
            if !allowed(g.kind).contains(p) {
                return Err(bad(format!("{} is not a privilege of a {kind}", p.keyword())));
            }
        }
        if let Some(p) = g.grantable.iter().find(|p| !g.privileges.contains(p)) {
            return Err(bad(format!("{} is grantable but not granted", p.keyword())));
        }
        if !g.revoked.is_empty() && g.grantee != "PUBLIC" {
            return Err(bad("only PUBLIC's default privileges can be listed as revoked".into()));
        }
    }
    Ok(())
}

/// Default privileges name what PostgreSQL lets them name, once each.
fn check_default_privileges(s: &Snapshot) -> Result<(), ParseError> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, d) in s.default_privileges.iter().enumerate() {
        let bad = |message: String| ParseError::Invalid {
            path: format!("default_privileges[{i}]"),
            message,
        };
        if !seen.insert(d.key()) {
            return Err(bad(format!("{} to {} is listed twice", d.object(), d.grantee)));
        }
        if d.on == DefaultObjects::Schemas && d.schema.is_some() {
            return Err(bad(
                "default privileges on schemas cannot be for one schema (no \"schema\")".into(),
            ));
        }
        if d.grantee.is_empty() || d.role.as_deref().is_some_and(str::is_empty) {
            return Err(bad("\"grantee\" and \"role\" name a role (grantee: or PUBLIC)".into()));
        }
        let kind = d.on.keyword().to_ascii_lowercase();
        if let Some(p) = d.privileges.iter().find(|p| !d.on.privileges().contains(p)) {
            return Err(bad(format!("{} is not a privilege on {kind}", p.keyword())));
        }
        if let Some(p) = d.grantable.iter().find(|p| !d.privileges.contains(p)) {
            return Err(bad(format!("{} is grantable but not granted", p.keyword())));
        }
        if let Some(p) = d.revoked.iter().find(|p| !d.on.public_defaults().contains(p)) {
            return Err(bad(format!(
                "{} on {kind} is not one of PostgreSQL's defaults, so it cannot be listed as revoked",
                p.keyword()
            )));
        }
        if !d.revoked.is_empty() && (d.grantee != "PUBLIC" || d.schema.is_some()) {
            return Err(bad(
                "only PUBLIC's defaults can be listed as revoked, and only for every schema (no \"schema\")".into(),
            ));
        }
    }
    Ok(())
}

/// Owners name their objects the way their kind needs, once each.
fn check_owners(s: &Snapshot) -> Result<(), ParseError> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, o) in s.owners.iter().enumerate() {
        let bad = |message: String| ParseError::Invalid {
            path: format!("owners[{i}]"),
            message,
        };
        if !seen.insert(o.key()) {
            return Err(bad(format!("{} is listed twice", o.object())));
        }
        if (o.kind == OwnedKind::Schema) != o.schema.is_none() {
            return Err(bad(
                "a schema's owner has no \"schema\"; anything else's needs one".into()
            ));
        }
        if (o.kind == OwnedKind::Routine) != o.arguments.is_some() {
            return Err(bad("\"arguments\" is given for routines, and only for them".into()));
        }
        if o.owner.is_empty() || o.name.is_empty() {
            return Err(bad("\"name\" and \"owner\" cannot be empty".into()));
        }
    }
    Ok(())
}

fn check_unique(s: &Snapshot) -> Result<(), ParseError> {
    fn dup<I: Iterator<Item = String>>(kind: &'static str, names: I) -> Result<(), ParseError> {
        let mut seen = std::collections::BTreeSet::new();
        for n in names {
            if !seen.insert(n.clone()) {
                return Err(ParseError::Duplicate { kind, name: n });
            }
        }
        Ok(())
    }
    dup("schema", s.schemas.iter().map(|x| x.name.clone()))?;
    dup("extension", s.extensions.iter().map(|x| x.name.clone()))?;
    // Types, relations and functions each share one namespace in PostgreSQL.
    dup(
        "type",
        s.enums
            .iter()
            .map(|x| format!("{}.{}", x.schema, x.name))
            .chain(s.domains.iter().map(|x| format!("{}.{}", x.schema, x.name)))
            .chain(s.composite_types.iter().map(|x| format!("{}.{}", x.schema, x.name))),
    )?;
    dup(
        "collation",
        s.collations.iter().map(|x| format!("{}.{}", x.schema, x.name)),
    )?;
    dup(
        "relation",
        s.tables
            .iter()
            .map(|x| format!("{}.{}", x.schema, x.name))
            .chain(s.sequences.iter().map(|x| format!("{}.{}", x.schema, x.name)))
            .chain(s.views.iter().map(|x| format!("{}.{}", x.schema, x.name)))
            .chain(s.materialized_views.iter().map(|x| format!("{}.{}", x.schema, x.name))),
    )?;
    dup(
        "function",
        s.functions
            .iter()
            .map(|x| format!("{}.{}({})", x.schema, x.name, x.arguments)),
    )?;
    dup(
        "grant",
        s.grants.iter().map(|g| format!("on {} to {}", g.object(), g.grantee)),
    )?;
    for t in &s.tables {
        dup(
            "column",
            t.columns.iter().map(|c| format!("{}.{}.{}", t.schema, t.name, c.name)),
        )?;
        dup(
            "trigger",
            t.triggers.iter().map(|c| format!("{}.{}.{}", t.schema, t.name, c.name)),
        )?;
        dup(
            "policy",
            t.policies.iter().map(|c| format!("{}.{}.{}", t.schema, t.name, c.name)),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each of `bad` (a list's item) is refused, the message saying `says`.
    fn refused(list: &str, cases: &[(serde_json::Value, &str)]) {
        for (bad, says) in cases {
            let doc = serde_json::json!({"format": 1, list: [bad]});
            let e = from_json(doc.to_string().as_bytes()).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn default_privileges_and_owners_are_checked() {
        use serde_json::json;
        let ok = json!({"format": 1,
            "default_privileges": [{"role": "app", "schema": "public", "on": "tables", "grantee": "anon", "privileges": ["SELECT"]},
                                   {"on": "functions", "grantee": "PUBLIC", "revoked": ["EXECUTE"]}],
            "owners": [{"kind": "routine", "schema": "public", "name": "f", "arguments": "", "owner": "definer"}]});
        assert!(from_json(ok.to_string().as_bytes()).is_ok());
        refused(
            "default_privileges",
            &[
                (
                    json!({"on": "tables", "grantee": "anon", "privileges": ["EXECUTE"]}),
                    "EXECUTE is not a privilege on tables",
                ),
                (
                    json!({"schema": "public", "on": "schemas", "grantee": "anon", "privileges": ["USAGE"]}),
                    "cannot be for one schema",
                ),
                (
                    json!({"schema": "public", "on": "functions", "grantee": "PUBLIC", "revoked": ["EXECUTE"]}),
                    "only PUBLIC's defaults",
                ),
                (
                    json!({"on": "tables", "grantee": "PUBLIC", "revoked": ["SELECT"]}),
                    "not one of PostgreSQL's defaults",
                ),
                (
                    json!({"on": "tables", "grantee": "anon", "privileges": ["SELECT"], "grantable": ["INSERT"]}),
                    "grantable but not granted",
                ),
            ],
        );
        refused(
            "owners",
            &[
                (
                    json!({"kind": "table", "name": "t", "owner": "app"}),
                    "anything else's needs one",
                ),
                (
                    json!({"kind": "routine", "schema": "public", "name": "f", "owner": "app"}),
                    "\"arguments\"",
                ),
                (
                    json!({"kind": "table", "schema": "public", "name": "t", "owner": ""}),
                    "cannot be empty",
                ),
            ],
        );
    }

    #[test]
    fn grants_are_checked_against_their_kind() {
        let with = |grant: serde_json::Value| {
            from_json(
                serde_json::json!({"format": 1, "grants": [grant]})
                    .to_string()
                    .as_bytes(),
            )
        };
        let ok = with(
            serde_json::json!({"kind": "table", "schema": "public", "name": "t", "grantee": "anon",
            "privileges": ["SELECT", "INSERT"], "grantable": ["SELECT"]}),
        );
        assert!(ok.is_ok(), "{ok:?}");
        for (bad, says) in [
            (
                serde_json::json!({"kind": "table", "schema": "public", "name": "t", "grantee": "anon", "privileges": ["EXECUTE"]}),
                "EXECUTE is not a privilege of a table",
            ),
            (
                serde_json::json!({"kind": "table", "schema": "public", "name": "t", "grantee": "anon", "privileges": ["SELECT"], "grantable": ["INSERT"]}),
                "grantable but not granted",
            ),
            (
                serde_json::json!({"kind": "function", "schema": "public", "name": "f", "grantee": "anon", "privileges": ["EXECUTE"]}),
                "\"arguments\"",
            ),
            (
                serde_json::json!({"kind": "schema", "schema": "public", "name": "app", "grantee": "anon", "privileges": ["USAGE"]}),
                "no \"schema\"",
            ),
            (
                serde_json::json!({"kind": "type", "schema": "public", "name": "mood", "grantee": "anon", "revoked": ["USAGE"]}),
                "only PUBLIC",
            ),
            (
                serde_json::json!({"kind": "table", "schema": "public", "name": "t", "grantee": "anon", "privileges": ["SELECT; DROP TABLE t"]}),
                "grants[0].privileges[0]",
            ),
        ] {
            let e = with(bad.clone()).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn rejects_documents_that_are_not_snapshots() {
        assert!(matches!(from_json(b"{nope"), Err(ParseError::NotJson { .. })));
        assert!(matches!(from_json(b"[1,2]"), Err(ParseError::NotASnapshot)));
        assert!(matches!(from_json(b"{\"tables\": []}"), Err(ParseError::NotASnapshot)));
        assert!(matches!(
            from_json(b"{\"format\": 2}"),
            Err(ParseError::UnsupportedFormat { found: 2 })
        ));
    }

    #[test]
    fn names_the_path_of_an_invalid_field() {
        let doc = br#"{"format": 1, "tables": [{"schema": "public", "name": "t", "columns": [{"name": "a"}]}]}"#;
        let err = from_json(doc).unwrap_err().to_string();
        assert!(err.contains("tables[0].columns[0]"), "{err}");
        assert!(err.contains("type"), "{err}");
    }

    #[test]
    fn rejects_unknown_fields_and_duplicates() {
        let err = from_json(br#"{"format": 1, "tablez": []}"#).unwrap_err().to_string();
        assert!(err.contains("tablez"), "{err}");
        let doc = br#"{"format": 1, "schemas": [{"name": "a"}, {"name": "a"}]}"#;
        assert!(matches!(
            from_json(doc),
            Err(ParseError::Duplicate { kind: "schema", .. })
        ));
    }

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        let a = from_json(br#"{"format":1,"schemas":[{"name":"b"},{"name":"a","comment":"x"}]}"#).unwrap();
        let b = from_json(
            br#"{
              "schemas": [ {"comment": "x", "name": "a"}, {"name": "b"} ],
              "format": 1
            }"#,
        )
        .unwrap();
        assert_eq!(crate::digest(&a), crate::digest(&b));
    }
}
