//! Steps for enum label additions and type swaps.

use super::*;

/// The statements that swap an enum for one with other labels: the old type is renamed, the
/// new one created, every column cast over (defaults dropped and set again), the old dropped.
pub(super) fn swap_enum(
    from: &EnumType,
    to: &EnumType,
    columns: &[(QualifiedName, Column)],
    defaults: &BTreeMap<(QualifiedName, String), Option<String>>,
) -> Vec<String> {
    let old_name = format!("{}__schemareg_old", from.name);
    let mut sql = vec![
        render::rename_type(&from.schema, &from.name, &old_name),
        render::create_enum(to),
    ];
    let ty = render::ident::qualified(&to.schema, &to.name);
    for (table, c) in columns {
        let t = qn(table);
        let col = render::ident::ident(&c.name);
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
    sql.push(render::drop_type(&from.schema, &old_name));
    sql
}

pub(super) fn defaults_in(
    s: &Snapshot,
    columns: &[(QualifiedName, Column)],
) -> BTreeMap<(QualifiedName, String), Option<String>> {
    columns
        .iter()
        .map(|(t, c)| {
            let d = s
                .tables
                .iter()
                .find(|x| &x.qualified() == t)
                .and_then(|x| x.column(&c.name))
                .and_then(|c| c.default.clone());
            ((t.clone(), c.name.clone()), d)
        })
        .collect()
}

pub(super) fn describe_label(p: &LabelPosition) -> String {
    match p {
        LabelPosition::End => "at the end".into(),
        LabelPosition::Before(l) => format!("before '{l}'"),
        LabelPosition::After(l) => format!("after '{l}'"),
    }
}

pub(super) fn enum_labels(ctx: &Context, name: &QualifiedName, adds: &[Change]) -> Step {
    let mut sql = Vec::new();
    let mut said = Vec::new();
    for c in adds {
        if let Change::AddEnumLabel { label, position, .. } = c {
            sql.push(render::add_enum_label(name, label, position));
            said.push(format!("'{label}' {}", describe_label(position)));
        }
    }
    let from = ctx
        .from
        .enums
        .iter()
        .find(|e| e.schema == name.schema && e.name == name.name)
        .cloned();
    let to = ctx
        .to
        .enums
        .iter()
        .find(|e| e.schema == name.schema && e.name == name.name)
        .cloned();
    let mut b = Builder::new(7, format!("add {} to enum {name}", said.join(", ")), sql)
        .provides([type_key(&name.schema, &name.name)])
        .lock(Lock::AccessExclusive);
    if let (Some(from), Some(to)) = (from, to) {
        let cols = ctx.columns_of_type(name, true);
        let defaults = defaults_in(ctx.from, &cols);
        b = b
            .rollback(swap_enum(&to, &from, &cols, &defaults))
            .note("PostgreSQL cannot remove an enum label: the rollback swaps the type for one without the new labels, which fails if rows use them");
    }
    let mut s = b.done();
    s.deps.commit_after = true;
    s
}
