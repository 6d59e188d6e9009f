//! The canonical form of a snapshot and its digest.
//!
//! [`normalize`] puts every list that has no meaning in its order into a fixed order, so
//! that equal schemas are equal values. [`digest`] hashes the canonical JSON serialisation,
//! in which table columns are also sorted by name (column order takes no part in identity).

use sha2::{Digest, Sha256};

use crate::model::Snapshot;

/// Sorts every order-free list of the snapshot in place. Orders that carry meaning (enum
/// labels, index keys, foreign key column pairs, composite attributes, view columns, table
/// columns) are kept.
pub fn normalize(s: &mut Snapshot) {
    for t in &mut s.tables {
        for c in &mut t.columns {
            normalize_default(&mut c.default);
        }
    }
    for d in &mut s.domains {
        normalize_default(&mut d.default);
    }
    s.schemas.sort_by(|a, b| a.name.cmp(&b.name));
    s.extensions.sort_by(|a, b| a.name.cmp(&b.name));
    s.enums.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    s.domains
        .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    for d in &mut s.domains {
        d.checks.sort_by(|a, b| a.name.cmp(&b.name));
    }
    s.composite_types
        .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    s.sequences
        .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    s.tables.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    for t in &mut s.tables {
        t.unique_constraints.sort_by(|a, b| a.name.cmp(&b.name));
        t.check_constraints.sort_by(|a, b| a.name.cmp(&b.name));
        t.exclusion_constraints.sort_by(|a, b| a.name.cmp(&b.name));
        t.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
        t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        for ix in &mut t.indexes {
            ix.options.sort();
        }
        t.triggers.sort_by(|a, b| a.name.cmp(&b.name));
        t.policies.sort_by(|a, b| a.name.cmp(&b.name));
        for p in &mut t.policies {
            p.roles.sort();
        }
        t.options.sort();
    }
    s.views.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    for v in &mut s.views {
        v.options.sort();
        v.triggers.sort_by(|a, b| a.name.cmp(&b.name));
    }
    s.materialized_views
        .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    for m in &mut s.materialized_views {
        m.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        for ix in &mut m.indexes {
            ix.options.sort();
        }
        m.options.sort();
    }
    s.functions
        .sort_by(|a, b| (&a.schema, &a.name, &a.arguments).cmp(&(&b.schema, &b.name, &b.arguments)));
    s.external_tables
        .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    for e in &mut s.external_tables {
        e.keys.sort();
        e.keys.dedup();
    }
}

/// Spellings of a default that PostgreSQL stores differently but that mean the same value:
/// `CURRENT_TIMESTAMP` and `transaction_timestamp()` are `now()`.
fn normalize_default(default: &mut Option<String>) {
    if let Some(d) = default
        && (d == "CURRENT_TIMESTAMP" || d == "transaction_timestamp()")
    {
        *d = "now()".to_string();
    }
}

/// The canonical JSON bytes of a snapshot: normalised, table columns sorted by name,
/// compact serialisation with the model's fixed field order.
pub fn canonical_bytes(s: &Snapshot) -> Vec<u8> {
    let mut c = s.clone();
    normalize(&mut c);
    for t in &mut c.tables {
        t.columns.sort_by(|a, b| a.name.cmp(&b.name));
    }
    serde_json::to_vec(&c).expect("a snapshot always serialises")
}

/// The snapshot's digest: `sha256:<hex>` of its canonical bytes.
pub fn digest(s: &Snapshot) -> String {
    let hash = Sha256::digest(canonical_bytes(s));
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn column(name: &str, ty: &str) -> Column {
        Column {
            name: name.into(),
            data_type: ty.into(),
            not_null: false,
            default: None,
            identity: None,
            generated: None,
            collation: None,
            comment: None,
        }
    }

    fn table(name: &str, cols: &[(&str, &str)]) -> Table {
        serde_json::from_value(serde_json::json!({
            "schema": "public", "name": name, "columns": []
        }))
        .map(|mut t: Table| {
            t.columns = cols.iter().map(|(n, ty)| column(n, ty)).collect();
            t
        })
        .unwrap()
    }

    #[test]
    fn listing_order_does_not_change_the_digest() {
        let a = Snapshot {
            tables: vec![table("a", &[("x", "integer")]), table("b", &[("y", "text")])],
            ..Snapshot::default()
        };
        let mut b = a.clone();
        b.tables.reverse();
        assert_eq!(digest(&a), digest(&b));
    }

    #[test]
    fn column_order_does_not_change_the_digest_but_a_type_does() {
        let a = Snapshot {
            tables: vec![table("a", &[("x", "integer"), ("y", "text")])],
            ..Snapshot::default()
        };
        let mut b = a.clone();
        b.tables[0].columns.reverse();
        assert_eq!(digest(&a), digest(&b));
        b.tables[0].columns[0].data_type = "character varying".into();
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn enum_label_order_changes_the_digest() {
        let e = |labels: &[&str]| EnumType {
            schema: "public".into(),
            name: "e".into(),
            labels: labels.iter().map(|s| s.to_string()).collect(),
            comment: None,
        };
        let a = Snapshot {
            enums: vec![e(&["a", "b"])],
            ..Snapshot::default()
        };
        let b = Snapshot {
            enums: vec![e(&["b", "a"])],
            ..Snapshot::default()
        };
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn digest_has_the_documented_shape() {
        let d = digest(&Snapshot::default());
        assert!(d.starts_with("sha256:"));
        assert_eq!(d.len(), 7 + 64);
        assert!(d[7..].chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
