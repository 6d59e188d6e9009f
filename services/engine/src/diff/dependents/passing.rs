//! Columns whose type or collation is dropped to be created again pass through a stand-in
//! meanwhile, and the defaults an enum swap sets itself are not changed twice.

use super::*;

/// An enum swapped for one with other labels sets the defaults of its columns itself (it has
/// to: a default of the old type blocks the cast): what else changes of such a column stays.
pub(super) fn swapped_enum_defaults(out: &mut Vec<Change>) {
    let swapped: BTreeSet<QualifiedName> = out
        .iter()
        .filter_map(|c| match c {
            Change::ReplaceEnum { to, .. } => Some(QualifiedName::new(&to.schema, &to.name)),
            _ => None,
        })
        .collect();
    if swapped.is_empty() {
        return;
    }
    out.retain_mut(|c| match c {
        Change::AlterColumn { from, to, .. } if from.data_type == to.data_type && uses(&to.data_type, &swapped) => {
            from.default = to.default.clone();
            let quiet = |c: &Column| Column {
                comment: None,
                ..c.clone()
            };
            quiet(from) != quiet(to)
        }
        _ => true,
    });
}

/// Columns of a domain or composite type dropped to be created again (a domain's base type or
/// collation changes, a composite type's attributes change where `ALTER TYPE` cannot) are given
/// the domain's base type (a composite's text) before and the type again after.
pub(super) fn domain_columns(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let created: BTreeSet<QualifiedName> = out
        .iter()
        .filter_map(|c| match c {
            Change::CreateDomain(d) => Some(QualifiedName::new(&d.schema, &d.name)),
            Change::CreateCompositeType(d) => Some(QualifiedName::new(&d.schema, &d.name)),
            _ => None,
        })
        .collect();
    let recreated: Vec<(QualifiedName, String)> = out
        .iter()
        .filter_map(|c| match c {
            Change::DropDomain(d) => Some((QualifiedName::new(&d.schema, &d.name), d.base_type.clone())),
            Change::DropCompositeType(d) => Some((QualifiedName::new(&d.schema, &d.name), "text".to_string())),
            _ => None,
        })
        .filter(|(name, _)| created.contains(name))
        .collect();
    let dropped_tables = Dropped::of(out).tables;
    collation_columns(out, from, to, &dropped_tables);
    for (name, base_type) in &recreated {
        let domain = BTreeSet::from([name.clone()]);
        through(out, from, to, &dropped_tables, |x| {
            uses(&x.data_type, &domain).then(|| {
                let array = if x.data_type.ends_with("[]") { "[]" } else { "" };
                Column {
                    data_type: format!("{base_type}{array}"),
                    default: None,
                    ..x.clone()
                }
            })
        });
    }
}

/// Columns of a collation dropped to be created again (its locale changes) use the default
/// collation meanwhile.
fn collation_columns(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot, dropped_tables: &BTreeSet<QualifiedName>) {
    let created: BTreeSet<QualifiedName> = out
        .iter()
        .filter_map(|c| match c {
            Change::CreateCollation(x) => Some(QualifiedName::new(&x.schema, &x.name)),
            _ => None,
        })
        .collect();
    let recreated: BTreeSet<QualifiedName> = out
        .iter()
        .filter_map(|c| match c {
            Change::DropCollation(x) => Some(QualifiedName::new(&x.schema, &x.name)),
            _ => None,
        })
        .filter(|n| created.contains(n))
        .collect();
    if recreated.is_empty() {
        return;
    }
    through(out, from, to, dropped_tables, |x| {
        x.collation
            .as_deref()
            .is_some_and(|c| uses(c, &recreated))
            .then(|| Column {
                collation: None,
                ..x.clone()
            })
    });
}

/// Columns of tables that stay, for which `bare` gives a state to pass through (the type they
/// need while theirs is created again): they change to it first and to TO's column after, in
/// place of any change of theirs.
fn through(
    out: &mut Vec<Change>,
    from: &Snapshot,
    to: &Snapshot,
    dropped_tables: &BTreeSet<QualifiedName>,
    bare: impl Fn(&Column) -> Option<Column>,
) {
    for a in &from.tables {
        let table = a.qualified();
        let Some(b) = to.tables.iter().find(|t| t.qualified() == table) else {
            continue;
        };
        if dropped_tables.contains(&table) {
            continue;
        }
        for x in &a.columns {
            let (Some(y), Some(mid)) = (b.column(&x.name), bare(x)) else {
                continue;
            };
            out.retain(
                |c| !matches!(c, Change::AlterColumn { table: t, from, .. } if *t == table && from.name == x.name),
            );
            out.push(Change::AlterColumn {
                table: table.clone(),
                from: x.clone(),
                to: mid.clone(),
            });
            out.push(Change::AlterColumn {
                table: table.clone(),
                from: mid,
                to: y.clone(),
            });
        }
    }
}
