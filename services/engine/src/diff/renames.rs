//! Declared renames. A table or column of TO that says it was `renamed_from` a name FROM has
//! (and TO no longer has) is renamed instead of dropped and added: its rows stay. The rest of
//! the diff then compares FROM with those names changed, as the database will have them.

use std::borrow::Cow;

use super::*;

/// The renames TO declares, and FROM as it is once they are made.
pub(crate) fn apply<'a>(from: &'a Snapshot, to: &Snapshot) -> (Vec<Change>, Cow<'a, Snapshot>) {
    let mut out = Vec::new();
    let mut renamed: Cow<Snapshot> = Cow::Borrowed(from);
    let has = |s: &Snapshot, q: &QualifiedName| s.tables.iter().any(|t| &t.qualified() == q);
    for t in &to.tables {
        let Some(old) = &t.renamed_from else { continue };
        let old = QualifiedName::new(&t.schema, old);
        let new = t.qualified();
        if old == new || !has(&renamed, &old) || has(&renamed, &new) || has(to, &old) {
            continue;
        }
        out.push(Change::RenameTable {
            from: old.clone(),
            to: new.clone(),
        });
        rename_table(renamed.to_mut(), &old, &new);
    }
    for t in &to.tables {
        let name = t.qualified();
        for c in &t.columns {
            let Some(old) = &c.renamed_from else { continue };
            let Some(ft) = renamed.tables.iter().find(|x| x.qualified() == name) else {
                continue;
            };
            if *old == c.name || ft.column(old).is_none() || ft.column(&c.name).is_some() || t.column(old).is_some() {
                continue;
            }
            out.push(Change::RenameColumn {
                table: name.clone(),
                from: old.clone(),
                to: c.name.clone(),
            });
            rename_column(renamed.to_mut(), &name, old, &c.name);
        }
    }
    (out, renamed)
}

fn rename_table(s: &mut Snapshot, old: &QualifiedName, new: &QualifiedName) {
    s.dependencies.rename_table(old, new);
    for t in &mut s.tables {
        if &t.qualified() == old {
            t.name = new.name.clone();
        }
        for fk in &mut t.foreign_keys {
            if &fk.references == old {
                fk.references = new.clone();
                let was = format!("REFERENCES {}.{}(", printed(&old.schema), printed(&old.name));
                let now = format!("REFERENCES {}.{}(", printed(&new.schema), printed(&new.name));
                fk.definition = fk.definition.replace(&was, &now);
            }
        }
    }
    for q in &mut s.sequences {
        if let Some(o) = &mut q.owned_by
            && o.schema == old.schema
            && o.table == old.name
        {
            o.table = new.name.clone();
        }
    }
}

fn rename_column(s: &mut Snapshot, table: &QualifiedName, old: &str, new: &str) {
    s.dependencies.rename_column(table, old, new);
    let swap = |v: &mut Vec<String>| v.iter_mut().filter(|c| *c == old).for_each(|c| *c = new.to_string());
    for t in &mut s.tables {
        if &t.qualified() == table {
            for c in t.columns.iter_mut().filter(|c| c.name == old) {
                c.name = new.to_string();
            }
            if let Some(pk) = &mut t.primary_key {
                swap(&mut pk.columns);
                pk.definition = rename_ident(&pk.definition, old, new);
            }
            for u in &mut t.unique_constraints {
                swap(&mut u.columns);
                u.definition = rename_ident(&u.definition, old, new);
            }
            for ch in &mut t.check_constraints {
                ch.definition = rename_ident(&ch.definition, old, new);
                ch.expression = rename_ident(&ch.expression, old, new);
            }
            for fk in &mut t.foreign_keys {
                swap(&mut fk.columns);
                fk.definition = rename_ident(&fk.definition, old, new);
            }
            for ix in &mut t.indexes {
                for k in &mut ix.keys {
                    k.expression = rename_ident(&k.expression, old, new);
                }
                ix.include = ix.include.iter().map(|c| rename_ident(c, old, new)).collect();
                ix.predicate = ix.predicate.as_ref().map(|p| rename_ident(p, old, new));
            }
        }
        for fk in &mut t.foreign_keys {
            if &fk.references == table {
                swap(&mut fk.referenced_columns);
                fk.definition = rename_ident(&fk.definition, old, new);
            }
        }
    }
    for q in &mut s.sequences {
        if let Some(o) = &mut q.owned_by
            && o.schema == table.schema
            && o.table == table.name
            && o.column == old
        {
            o.column = new.to_string();
        }
    }
}

/// Whether PostgreSQL prints a name without quotes (keywords aside).
fn plain(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A name as PostgreSQL prints it in a definition.
fn printed(s: &str) -> String {
    if plain(s) {
        s.to_string()
    } else {
        crate::render::ident::ident(s)
    }
}

/// The identifier `old` in a printed expression (outside string literals), quoted or not,
/// replaced by `new` as PostgreSQL would print it.
pub(crate) fn rename_ident(text: &str, old: &str, new: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let start = i;
            i += 1;
            while i < chars.len() && !(chars[i] == '\'' && chars.get(i + 1) != Some(&'\'')) {
                i += if chars[i] == '\'' { 2 } else { 1 };
            }
            i = (i + 1).min(chars.len());
            out.extend(&chars[start..i]);
        } else if c == '"' {
            let start = i;
            i += 1;
            let mut name = String::new();
            while i < chars.len() {
                if chars[i] == '"' && chars.get(i + 1) == Some(&'"') {
                    name.push('"');
                    i += 2;
                } else if chars[i] == '"' {
                    break;
                } else {
                    name.push(chars[i]);
                    i += 1;
                }
            }
            i = (i + 1).min(chars.len());
            let prev_dot = out.ends_with('.');
            if name == old && !prev_dot {
                out.push_str(&printed(new));
            } else {
                out.extend(&chars[start..i]);
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let prev_dot = out.ends_with('.');
            let next_dot = chars.get(i) == Some(&'.');
            if word == old && plain(old) && !prev_dot && !next_dot {
                out.push_str(&printed(new));
            } else {
                out.push_str(&word);
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::rename_ident;

    #[test]
    fn renames_the_identifier_not_literals_nor_qualified_names() {
        assert_eq!(rename_ident("PRIMARY KEY (id)", "id", "uid"), "PRIMARY KEY (uid)");
        assert_eq!(
            rename_ident("CHECK ((status <> 'status'::text))", "status", "state"),
            "CHECK ((state <> 'status'::text))"
        );
        assert_eq!(
            rename_ident("(a.status = status_x)", "status", "s"),
            "(a.status = status_x)"
        );
        assert_eq!(rename_ident("(\"Old Name\" > 0)", "Old Name", "new"), "(new > 0)");
        assert_eq!(rename_ident("(x > 0)", "x", "New X"), "(\"New X\" > 0)");
    }
}
