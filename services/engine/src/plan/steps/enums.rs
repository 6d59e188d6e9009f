//! Steps for enums: created, dropped, labels added, swapped for one with other labels.

use super::*;
use crate::diff::LabelPosition;
use crate::render;

pub(super) fn create_enum(e: &EnumType) -> Step {
    Builder::new(
        Rank::CREATE_TYPE,
        format!("create enum {}.{}", e.schema, e.name),
        vec![render::create_enum(e)],
    )
    .rollback(vec![render::drop_type(&e.schema, &e.name)])
    .provides([ObjectKey::type_of(&e.schema, &e.name)])
    .needs_new([ObjectKey::schema(&e.schema)])
    .lock(Lock::None)
    .done()
}

pub(super) fn drop_enum(e: &EnumType) -> Step {
    Builder::new(
        Rank::DROP_TYPE,
        format!("drop enum {}.{}", e.schema, e.name),
        vec![render::drop_type(&e.schema, &e.name)],
    )
    .rollback(vec![render::create_enum(e)])
    .hazard(
        H::DropsObject,
        format!(
            "drops type {}.{}: queries and functions that still name it fail",
            e.schema, e.name
        ),
    )
    .removes([ObjectKey::type_of(&e.schema, &e.name)])
    .done()
}

/// Labels removed or reordered: the type is swapped for a new one, its columns cast over.
pub(super) fn replace_enum(ctx: &Context, from: &EnumType, to: &EnumType) -> Step {
    let name = QualifiedName::new(&to.schema, &to.name);
    let cols = kept_columns(ctx, &name);
    let new_defaults = defaults_in(ctx.to, &cols);
    let old_defaults = defaults_in(ctx.from, &cols);
    let removed: Vec<&String> = from.labels.iter().filter(|l| !to.labels.contains(l)).collect();
    // The type made again has no comment: the one it should have is set with it.
    let with_comment = |mut sql: Vec<String>, e: &EnumType| {
        let target = crate::diff::CommentTarget::Type {
            name: name.clone(),
            domain: false,
        };
        sql.extend(comments::comment_sql(target, &e.comment));
        sql
    };
    let mut b = Builder::new(
        Rank::REPLACE_ENUM,
        format!("replace enum {name} (labels {:?} → {:?})", from.labels, to.labels),
        with_comment(render::swap_enum(from, to, &cols, &new_defaults), to),
    )
    .rollback(with_comment(render::swap_enum(to, from, &cols, &old_defaults), from))
    .provides([ObjectKey::type_of(&to.schema, &to.name)])
    .removes([ObjectKey::type_of(&to.schema, &to.name)]);
    for (t, _) in &cols {
        b = b.provides([ObjectKey::shape(t)]).removes([ObjectKey::shape(t)]);
        b = b.hazard(
            H::TableRewrite,
            format!("rewrites {} to cast its {name} column", ctx.sized(t)),
        );
    }
    if !removed.is_empty() {
        b = b
            .hazard(H::DataLoss, format!("labels {removed:?} of {name} disappear"))
            .hazard(
                H::MayFailOnExistingData,
                format!("rows holding the labels {removed:?} make the cast fail"),
            );
    }
    b.done()
}

/// The columns a swap of the type (or its undo) finds where it runs: FROM's columns of the
/// type that TO keeps with that type. Steps that drop FROM's columns of the type, or their
/// tables, or change them to another type, need the type in its old form, so they run before
/// the swap (which removes it); steps that give columns the type need it new, so they run
/// after (and are undone before the undo of the swap).
fn kept_columns(ctx: &Context, name: &QualifiedName) -> Vec<(QualifiedName, Column)> {
    ctx.columns_of_type(name, false)
        .into_iter()
        .filter(|(t, c)| {
            ctx.to
                .tables
                .iter()
                .find(|x| &x.qualified() == t)
                .and_then(|x| x.column(&c.name))
                .is_some_and(|n| n.data_type == c.data_type)
        })
        .collect()
}

fn defaults_in(s: &Snapshot, columns: &[(QualifiedName, Column)]) -> BTreeMap<(QualifiedName, String), Option<String>> {
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

fn describe_label(p: &LabelPosition) -> String {
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
    let mut b = Builder::new(
        Rank::CREATE_TYPE,
        format!("add {} to enum {name}", said.join(", ")),
        sql,
    )
    // The labels change the type: steps that need it as it was run before (see kept_columns).
    .provides([ObjectKey::type_of(&name.schema, &name.name)])
    .removes([ObjectKey::type_of(&name.schema, &name.name)])
    .lock(Lock::AccessExclusive);
    if let (Some(from), Some(to)) = (from, to) {
        let cols = kept_columns(ctx, name);
        let defaults = defaults_in(ctx.from, &cols);
        // Views reading the type's columns block the swap: they make way around it.
        let tables: BTreeSet<QualifiedName> = cols.iter().map(|(t, _)| t.clone()).collect();
        let (drops, creates) = super::views::around(ctx, &tables, &BTreeSet::from([name.clone()]));
        // The type made again gets FROM's comment and grants back.
        let comment = comments::comment_sql(
            crate::diff::CommentTarget::Type {
                name: name.clone(),
                domain: false,
            },
            &from.comment,
        );
        let grants = super::grants::restore(ctx, &Change::DropEnum(from.clone()));
        let undo: Vec<String> = drops
            .into_iter()
            .chain(render::swap_enum(&to, &from, &cols, &defaults))
            .chain(comment)
            .chain(grants)
            .chain(creates)
            .collect();
        b = b
            .rollback(undo)
            .note("PostgreSQL cannot remove an enum label: the rollback swaps the type for one without the new labels, which fails if rows use them");
    }
    let mut s = b.done();
    s.commit_after = true;
    s
}
