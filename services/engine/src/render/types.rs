//! Schemas, extensions, enums, domains, composite types and sequences.

use std::collections::BTreeMap;

use super::ident::{ident, literal, qn, qualified};
use crate::diff::LabelPosition;
use crate::model::*;

pub fn create_schema(s: &Schema) -> String {
    format!("CREATE SCHEMA {}", ident(&s.name))
}

pub fn drop_schema(s: &Schema) -> String {
    format!("DROP SCHEMA {}", ident(&s.name))
}

pub fn create_extension(e: &Extension) -> String {
    format!(
        "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}",
        ident(&e.name),
        ident(&e.schema)
    )
}

pub fn drop_extension(e: &Extension) -> String {
    format!("DROP EXTENSION {}", ident(&e.name))
}

pub fn create_enum(e: &EnumType) -> String {
    let labels: Vec<String> = e.labels.iter().map(|l| literal(l)).collect();
    format!(
        "CREATE TYPE {} AS ENUM ({})",
        qualified(&e.schema, &e.name),
        labels.join(", ")
    )
}

pub fn drop_type(schema: &str, name: &str) -> String {
    format!("DROP TYPE {}", qualified(schema, name))
}

pub fn add_enum_label(name: &QualifiedName, label: &str, position: &LabelPosition) -> String {
    let at = match position {
        LabelPosition::End => String::new(),
        LabelPosition::Before(l) => format!(" BEFORE {}", literal(l)),
        LabelPosition::After(l) => format!(" AFTER {}", literal(l)),
    };
    format!("ALTER TYPE {} ADD VALUE {}{at}", qn(name), literal(label))
}

pub fn rename_type(schema: &str, name: &str, new_name: &str) -> String {
    format!("ALTER TYPE {} RENAME TO {}", qualified(schema, name), ident(new_name))
}

/// The statements that swap an enum for one with other labels: the old type is renamed, the
/// new one created, every column cast over (defaults dropped and set again), the old dropped.
pub fn swap_enum(
    from: &EnumType,
    to: &EnumType,
    columns: &[(QualifiedName, Column)],
    defaults: &BTreeMap<(QualifiedName, String), Option<String>>,
) -> Vec<String> {
    let old_name = format!("{}__schemareg_old", from.name);
    let mut sql = vec![rename_type(&from.schema, &from.name, &old_name), create_enum(to)];
    let ty = qualified(&to.schema, &to.name);
    for (table, c) in columns {
        let t = qn(table);
        let col = ident(&c.name);
        if c.default.is_some() {
            sql.push(format!("ALTER TABLE {t} ALTER COLUMN {col} DROP DEFAULT"));
        }
        let (cast, target) = if c.data_type.ends_with("[]") {
            ("text[]", format!("{ty}[]"))
        } else {
            ("text", ty.clone())
        };
        sql.push(format!(
            "ALTER TABLE {t} ALTER COLUMN {col} TYPE {target} USING {col}::{cast}::{target}"
        ));
        if let Some(Some(d)) = defaults.get(&(table.clone(), c.name.clone())) {
            sql.push(format!("ALTER TABLE {t} ALTER COLUMN {col} SET DEFAULT {d}"));
        }
    }
    sql.push(drop_type(&from.schema, &old_name));
    sql
}

pub fn create_collation(c: &Collation) -> String {
    let mut options = Vec::new();
    match c.provider {
        CollationProvider::Icu => {
            options.push("provider = icu".to_string());
            if let Some(l) = &c.locale {
                options.push(format!("locale = {}", literal(l)));
            }
        }
        CollationProvider::Libc => {
            options.push("provider = libc".to_string());
            if let Some(l) = &c.lc_collate {
                options.push(format!("lc_collate = {}", literal(l)));
            }
            if let Some(l) = &c.lc_ctype {
                options.push(format!("lc_ctype = {}", literal(l)));
            }
        }
    }
    if !c.deterministic {
        options.push("deterministic = false".to_string());
    }
    format!(
        "CREATE COLLATION {} ({})",
        qualified(&c.schema, &c.name),
        options.join(", ")
    )
}

pub fn drop_collation(c: &Collation) -> String {
    format!("DROP COLLATION {}", qualified(&c.schema, &c.name))
}

/// `CREATE DOMAIN` with its validated checks; checks `NOT VALID` are added after it (a
/// `CREATE DOMAIN` cannot say `NOT VALID`).
pub fn create_domain(d: &Domain) -> Vec<String> {
    let name = qualified(&d.schema, &d.name);
    let mut sql = format!("CREATE DOMAIN {name} AS {}", d.base_type);
    if let Some(c) = &d.collation {
        sql.push_str(&format!(" COLLATE {c}"));
    }
    if let Some(def) = &d.default {
        sql.push_str(&format!(" DEFAULT {def}"));
    }
    if d.not_null {
        sql.push_str(" NOT NULL");
    }
    let mut later = Vec::new();
    for c in &d.checks {
        if c.definition.ends_with(" NOT VALID") {
            later.push(format!(
                "ALTER DOMAIN {name} ADD CONSTRAINT {} {}",
                ident(&c.name),
                c.definition
            ));
        } else {
            sql.push_str(&format!(" CONSTRAINT {} {}", ident(&c.name), c.definition));
        }
    }
    std::iter::once(sql).chain(later).collect()
}

pub fn drop_domain(d: &Domain) -> String {
    format!("DROP DOMAIN {}", qualified(&d.schema, &d.name))
}

/// The `ALTER DOMAIN` statements that take a domain from one definition to another (same base
/// type and collation).
pub fn alter_domain(from: &Domain, to: &Domain) -> Vec<String> {
    let name = qualified(&to.schema, &to.name);
    let mut out = Vec::new();
    for c in &from.checks {
        if !to.checks.contains(c) {
            out.push(format!("ALTER DOMAIN {name} DROP CONSTRAINT {}", ident(&c.name)));
        }
    }
    if from.default != to.default {
        out.push(match &to.default {
            Some(d) => format!("ALTER DOMAIN {name} SET DEFAULT {d}"),
            None => format!("ALTER DOMAIN {name} DROP DEFAULT"),
        });
    }
    if from.not_null != to.not_null {
        out.push(format!(
            "ALTER DOMAIN {name} {} NOT NULL",
            if to.not_null { "SET" } else { "DROP" }
        ));
    }
    for c in &to.checks {
        if !from.checks.contains(c) {
            out.push(format!(
                "ALTER DOMAIN {name} ADD CONSTRAINT {} {}",
                ident(&c.name),
                c.definition
            ));
        }
    }
    out
}

pub fn create_composite(c: &CompositeType) -> String {
    let attrs: Vec<String> = c.attributes.iter().map(attribute).collect();
    format!(
        "CREATE TYPE {} AS ({})",
        qualified(&c.schema, &c.name),
        attrs.join(", ")
    )
}

fn attribute(a: &CompositeAttribute) -> String {
    match &a.collation {
        Some(coll) => format!("{} {} COLLATE {coll}", ident(&a.name), a.data_type),
        None => format!("{} {}", ident(&a.name), a.data_type),
    }
}

/// `ALTER TYPE … DROP / ALTER / ADD ATTRIBUTE … CASCADE` from one composite type to another
/// (see the diff for when that is possible).
pub fn alter_composite(from: &CompositeType, to: &CompositeType) -> Vec<String> {
    let name = qualified(&to.schema, &to.name);
    let mut out = Vec::new();
    for a in &from.attributes {
        match to.attributes.iter().find(|b| b.name == a.name) {
            None => out.push(format!("ALTER TYPE {name} DROP ATTRIBUTE {} CASCADE", ident(&a.name))),
            Some(b) if b != a => {
                let collate = b
                    .collation
                    .as_ref()
                    .map(|c| format!(" COLLATE {c}"))
                    .unwrap_or_default();
                out.push(format!(
                    "ALTER TYPE {name} ALTER ATTRIBUTE {} TYPE {}{collate} CASCADE",
                    ident(&b.name),
                    b.data_type
                ));
            }
            Some(_) => {}
        }
    }
    for b in &to.attributes {
        if !from.attributes.iter().any(|a| a.name == b.name) {
            out.push(format!("ALTER TYPE {name} ADD ATTRIBUTE {} CASCADE", attribute(b)));
        }
    }
    out
}

fn sequence_options(o: &SequenceOptions) -> String {
    format!("AS {} {}", o.data_type, identity_options(o))
}

/// A sequence's options without its type (an identity column's type is the column's).
pub fn identity_options(o: &SequenceOptions) -> String {
    format!(
        "INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {}{}",
        o.increment,
        o.min_value,
        o.max_value,
        o.start,
        o.cache,
        if o.cycle { " CYCLE" } else { " NO CYCLE" }
    )
}

pub fn create_sequence(s: &Sequence) -> String {
    format!(
        "CREATE SEQUENCE {} {}",
        qualified(&s.schema, &s.name),
        sequence_options(&s.options)
    )
}

pub fn drop_sequence(s: &Sequence) -> String {
    format!("DROP SEQUENCE {}", qualified(&s.schema, &s.name))
}

/// `DROP SEQUENCE IF EXISTS`, as the steps that drop a sequence write it.
pub fn drop_sequence_if_exists(s: &Sequence) -> String {
    format!("DROP SEQUENCE IF EXISTS {}", qualified(&s.schema, &s.name))
}

/// `ALTER SEQUENCE` to new options; `RESTART WITH` the new start when the old start lies
/// outside the new range (PostgreSQL refuses a range that leaves the current value out).
pub fn alter_sequence_options(from: &SequenceOptions, s: &Sequence) -> String {
    format!(
        "ALTER SEQUENCE {} {}{}",
        qualified(&s.schema, &s.name),
        sequence_options(&s.options),
        restart(from, &s.options)
    )
}

/// ` RESTART WITH n` when the range of `to` leaves out the start of `from`.
pub fn restart(from: &SequenceOptions, to: &SequenceOptions) -> String {
    if needs_restart(from, to) {
        format!(" RESTART WITH {}", to.start)
    } else {
        String::new()
    }
}

pub fn needs_restart(from: &SequenceOptions, to: &SequenceOptions) -> bool {
    from.start < to.min_value || from.start > to.max_value
}

pub fn sequence_owned_by(s: &Sequence) -> String {
    let owner = match &s.owned_by {
        Some(o) => format!("{}.{}", qualified(&o.schema, &o.table), ident(&o.column)),
        None => "NONE".to_string(),
    };
    format!("ALTER SEQUENCE {} OWNED BY {owner}", qualified(&s.schema, &s.name))
}
