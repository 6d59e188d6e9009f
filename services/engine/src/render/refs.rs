//! The objects an expression or definition refers to, found by reading PostgreSQL's own
//! renderings: with an empty `search_path`, every name outside `pg_catalog` is
//! schema-qualified (`public.users`, `'public.t_id_seq'::regclass`).

use std::collections::BTreeSet;

use crate::model::QualifiedName;

/// The schema-qualified names that appear in a text, outside string literals, plus the
/// `'schema.name'::regclass` literals.
pub fn qualified_names(text: &str) -> BTreeSet<QualifiedName> {
    let b = text.as_bytes();
    let mut out = BTreeSet::new();
    let mut i = 0;
    let mut prev: Vec<String> = Vec::new(); // identifiers of the current dotted chain
    let mut after_dot = false;
    let flush = |chain: &mut Vec<String>, out: &mut BTreeSet<QualifiedName>| {
        if chain.len() >= 2 {
            // schema.name or schema.name.column: the first two parts.
            out.insert(QualifiedName::new(chain[0].clone(), chain[1].clone()));
        }
        chain.clear();
    };
    while i < b.len() {
        let c = b[i];
        if c == b'\'' {
            flush(&mut prev, &mut out);
            let start = i + 1;
            i += 1;
            while i < b.len() {
                if b[i] == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else if b[i] == b'\'' {
                    break;
                } else {
                    i += 1;
                }
            }
            let lit = &text[start..i.min(text.len())];
            i += 1;
            if text[i.min(text.len())..].starts_with("::regclass") {
                let inner = qualified_names(&lit.replace("''", "'"));
                out.extend(inner);
            }
            after_dot = false;
            continue;
        }
        if c == b'"' {
            let start = i + 1;
            i += 1;
            while i < b.len() {
                if b[i] == b'"' && b.get(i + 1) == Some(&b'"') {
                    i += 2;
                } else if b[i] == b'"' {
                    break;
                } else {
                    i += 1;
                }
            }
            let name = text[start..i.min(text.len())].replace("\"\"", "\"");
            i += 1;
            if !after_dot {
                flush(&mut prev, &mut out);
            }
            prev.push(name);
            after_dot = false;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80) {
                i += 1;
            }
            if !after_dot {
                flush(&mut prev, &mut out);
            }
            prev.push(text[start..i].to_string());
            after_dot = false;
            continue;
        }
        if c == b'.' && !prev.is_empty() {
            after_dot = true;
            i += 1;
            continue;
        }
        flush(&mut prev, &mut out);
        after_dot = false;
        i += 1;
    }
    flush(&mut prev, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        qualified_names(text).into_iter().map(|q| q.to_string()).collect()
    }

    #[test]
    fn finds_qualified_names_in_renderings() {
        assert_eq!(names("nextval('public.t_id_seq'::regclass)"), ["public.t_id_seq"]);
        assert_eq!(names("'user'::public.user_role"), ["public.user_role"]);
        assert_eq!(
            names("ks.is_even((length(COALESCE(name, ''::text)) * 2))"),
            ["ks.is_even"]
        );
        // Aliases come out too (`o.id`); they are dropped when names are resolved to objects.
        let view = names(" SELECT o.id, c.email FROM (ks.orders o JOIN ks.customers c ON ((c.id = o.customer_id)))");
        assert!(
            view.contains(&"ks.customers".to_string()) && view.contains(&"ks.orders".to_string()),
            "{view:?}"
        );
        assert_eq!(names("\"My Schema\".\"T\""), ["My Schema.T"]);
        assert_eq!(names("'not.a_name'"), Vec::<String>::new());
        assert_eq!(names("public.user_role[]"), ["public.user_role"]);
    }
}
