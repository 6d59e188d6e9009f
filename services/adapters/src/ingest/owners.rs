//! `ALTER … OWNER TO role` in a pushed script, on the kinds snapshots model. The scratch
//! database's owner may not give objects away (the new owner needs `CREATE` on the schema,
//! which only a superuser may skip), so the object the statement names is found by the
//! owner's session (its name passed as a parameter to `to_regclass` and the like, never
//! pasted), and the server's admin gives it, with a statement written from the catalog's
//! names. The scratch owner is a member of the roles made for the run, so it still manages
//! what it gave.

use schemareg_engine::{OwnedKind, Owner};
use tokio_postgres::Client;

/// The kind a statement names, and the text of the object's name (`public.t`, `f(int)`).
pub fn object_of(text: &str) -> Option<(OwnedKind, String)> {
    let text = text.trim().trim_end_matches(';').trim_end();
    let words: Vec<&str> = text.split_whitespace().collect();
    let upper = |k: usize| words.get(k).map(|w| w.to_ascii_uppercase());
    if upper(0).as_deref() != Some("ALTER") {
        return None;
    }
    let (kind, mut at) = match upper(1)?.as_str() {
        "TABLE" => (OwnedKind::Table, 2),
        "VIEW" => (OwnedKind::View, 2),
        "MATERIALIZED" if upper(2).as_deref() == Some("VIEW") => (OwnedKind::MaterializedView, 3),
        "SEQUENCE" => (OwnedKind::Sequence, 2),
        "FUNCTION" | "PROCEDURE" | "ROUTINE" | "AGGREGATE" => (OwnedKind::Routine, 2),
        "TYPE" => (OwnedKind::Type, 2),
        "DOMAIN" => (OwnedKind::Domain, 2),
        "SCHEMA" => (OwnedKind::Schema, 2),
        _ => return None,
    };
    if upper(at).as_deref() == Some("IF") && upper(at + 1).as_deref() == Some("EXISTS") {
        at += 2;
    }
    if kind == OwnedKind::Table && upper(at).as_deref() == Some("ONLY") {
        at += 1;
    }
    // The name runs up to `OWNER TO role` at the end.
    let n = words.len();
    if n < at + 4 || upper(n - 3).as_deref() != Some("OWNER") || upper(n - 2).as_deref() != Some("TO") {
        return None;
    }
    Some((kind, words[at..n - 3].join(" ")))
}

/// The object `name` names in the scratch database, as an owner names it.
pub async fn find(
    client: &Client,
    kind: OwnedKind,
    name: &str,
    owner: &str,
) -> Result<Option<Owner>, tokio_postgres::Error> {
    let sql = match kind {
        OwnedKind::Schema => {
            "SELECT NULL::text, n.nspname::text, NULL::text FROM pg_namespace n WHERE n.oid = to_regnamespace($1)"
        }
        OwnedKind::Table | OwnedKind::View | OwnedKind::MaterializedView | OwnedKind::Sequence => {
            "SELECT n.nspname::text, c.relname::text, NULL::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)"
        }
        OwnedKind::Routine => return find_routine(client, name, owner).await,
        OwnedKind::Type | OwnedKind::Domain => {
            "SELECT n.nspname::text, t.typname::text, NULL::text FROM pg_type t \
             JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = to_regtype($1)"
        }
    };
    let row = client.query_opt(sql, &[&name]).await?;
    Ok(row.map(|r| Owner {
        kind,
        schema: r.get(0),
        name: r.get(1),
        arguments: r.get(2),
        owner: owner.to_string(),
    }))
}

/// A routine by its name and arguments: as PostgreSQL prints its identity (`f(uid integer)`,
/// pg_dump's form), else as `regprocedure` reads it (`f(int)`), else by its name alone.
async fn find_routine(client: &Client, name: &str, owner: &str) -> Result<Option<Owner>, tokio_postgres::Error> {
    const COLUMNS: &str = "SELECT n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid) \
                           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace";
    let (base, arguments) = match name.split_once('(') {
        Some((b, rest)) => (b.trim(), Some(rest.trim_end().strip_suffix(')').unwrap_or(rest).trim())),
        None => (name.trim(), None),
    };
    let by_identity = format!(
        "{COLUMNS} WHERE pg_get_function_identity_arguments(p.oid) = $2 AND p.proname = (parse_ident($1))[cardinality(parse_ident($1))] \
         AND n.nspname = CASE WHEN cardinality(parse_ident($1)) > 1 THEN (parse_ident($1))[1] ELSE n.nspname END \
         AND (cardinality(parse_ident($1)) > 1 OR n.nspname = ANY (current_schemas(false)))"
    );
    let row = match arguments {
        Some(args) => match client.query_opt(by_identity.as_str(), &[&base, &args]).await {
            Ok(Some(r)) => Some(r),
            // Not PostgreSQL's printing of the identity: as regprocedure reads it (a name it
            // cannot read is an object not found).
            _ => client
                .query_opt(
                    format!("{COLUMNS} WHERE p.oid = to_regprocedure($1)").as_str(),
                    &[&name],
                )
                .await
                .ok()
                .flatten(),
        },
        None => client
            .query_opt(format!("{COLUMNS} WHERE p.oid = to_regproc($1)").as_str(), &[&name])
            .await
            .ok()
            .flatten(),
    };
    Ok(row.map(|r| Owner {
        kind: OwnedKind::Routine,
        schema: r.get(0),
        name: r.get(1),
        arguments: r.get(2),
        owner: owner.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_name_between_the_kind_and_owner_to() {
        let cases = [
            ("ALTER TABLE ONLY public.t OWNER TO x;", OwnedKind::Table, "public.t"),
            (
                "alter materialized view if exists \"M v\" owner to \"Y\"",
                OwnedKind::MaterializedView,
                "\"M v\"",
            ),
            (
                "ALTER FUNCTION f(a int, b text) OWNER TO x",
                OwnedKind::Routine,
                "f(a int, b text)",
            ),
            (
                "ALTER AGGREGATE total(int) OWNER TO x",
                OwnedKind::Routine,
                "total(int)",
            ),
            ("ALTER SCHEMA app OWNER TO x", OwnedKind::Schema, "app"),
        ];
        for (text, kind, name) in cases {
            assert_eq!(object_of(text), Some((kind, name.to_string())), "{text}");
        }
        assert_eq!(object_of("ALTER DATABASE d OWNER TO x"), None);
        assert_eq!(object_of("ALTER TABLE OWNER TO x"), None);
    }
}
