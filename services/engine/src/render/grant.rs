//! `GRANT` and `REVOKE`: what takes one object's grants to one role from one state to another.

use std::collections::BTreeSet;

use super::ident::{ident, qualified};
use crate::model::{Grant, GrantKind, Privilege};

/// The object as `GRANT … ON` names it: `TABLE "public"."t"`, `FUNCTION "public"."f"(integer)`.
fn on(g: &Grant) -> String {
    let name = match &g.schema {
        Some(s) => qualified(s, &g.name),
        None => ident(&g.name),
    };
    match (g.kind, &g.arguments) {
        (GrantKind::Function | GrantKind::Procedure, Some(args)) => format!("{} {name}({args})", g.kind.keyword()),
        (kind, _) => format!("{} {name}", kind.keyword()),
    }
}

fn grantee(g: &Grant) -> String {
    if g.grantee == "PUBLIC" {
        "PUBLIC".into()
    } else {
        ident(&g.grantee)
    }
}

/// `SELECT, INSERT`, or for a column's privileges `SELECT ("email"), INSERT ("email")`.
fn list(g: &Grant, privileges: &BTreeSet<Privilege>) -> String {
    privileges
        .iter()
        .map(|p| match &g.column {
            Some(c) => format!("{} ({})", p.keyword(), ident(c)),
            None => p.keyword().to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn set(v: Option<&Vec<Privilege>>) -> BTreeSet<Privilege> {
    v.into_iter().flatten().copied().collect()
}

/// The statements that take the grants of `from` (none: the object has none for the grantee,
/// as a new object) to those of `to` (none: take them all away). Both name the same object and
/// grantee.
pub fn change_grants(from: Option<&Grant>, to: Option<&Grant>) -> Vec<String> {
    let Some(g) = to.or(from) else { return Vec::new() };
    let (fp, fg, fr) = (
        set(from.map(|x| &x.privileges)),
        set(from.map(|x| &x.grantable)),
        set(from.map(|x| &x.revoked)),
    );
    let (tp, tg, tr) = (
        set(to.map(|x| &x.privileges)),
        set(to.map(|x| &x.grantable)),
        set(to.map(|x| &x.revoked)),
    );
    let (on, who) = (on(g), grantee(g));
    let mut out = Vec::new();
    let gone: BTreeSet<Privilege> = fp.difference(&tp).copied().collect();
    if !gone.is_empty() {
        out.push(format!("REVOKE {} ON {on} FROM {who}", list(g, &gone)));
    }
    let option_gone: BTreeSet<Privilege> = fg.intersection(&tp).filter(|p| !tg.contains(p)).copied().collect();
    if !option_gone.is_empty() {
        out.push(format!(
            "REVOKE GRANT OPTION FOR {} ON {on} FROM {who}",
            list(g, &option_gone)
        ));
    }
    let plain: BTreeSet<Privilege> = tp.difference(&tg).filter(|p| !fp.contains(p)).copied().collect();
    if !plain.is_empty() {
        out.push(format!("GRANT {} ON {on} TO {who}", list(g, &plain)));
    }
    let with_option: BTreeSet<Privilege> = tg.difference(&fg).copied().collect();
    if !with_option.is_empty() {
        out.push(format!(
            "GRANT {} ON {on} TO {who} WITH GRANT OPTION",
            list(g, &with_option)
        ));
    }
    let revoked: BTreeSet<Privilege> = tr.difference(&fr).copied().collect();
    if !revoked.is_empty() {
        out.push(format!("REVOKE {} ON {on} FROM {who}", list(g, &revoked)));
    }
    let restored: BTreeSet<Privilege> = fr.difference(&tr).copied().collect();
    if !restored.is_empty() {
        out.push(format!("GRANT {} ON {on} TO {who}", list(g, &restored)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(kind: GrantKind, privileges: &[Privilege], grantable: &[Privilege], revoked: &[Privilege]) -> Grant {
        Grant {
            kind,
            schema: Some("public".into()),
            name: "t".into(),
            arguments: (kind == GrantKind::Function).then(|| "a integer".into()),
            column: (kind == GrantKind::Column).then(|| "email".into()),
            grantee: "app reader".into(),
            privileges: privileges.to_vec(),
            grantable: grantable.to_vec(),
            revoked: revoked.to_vec(),
        }
    }

    #[test]
    fn grants_and_revokes_only_the_difference() {
        use Privilege::*;
        let from = grant(GrantKind::Table, &[Select, Insert], &[Select], &[]);
        let to = grant(GrantKind::Table, &[Select, Update], &[], &[]);
        assert_eq!(
            change_grants(Some(&from), Some(&to)),
            [
                "REVOKE INSERT ON TABLE \"public\".\"t\" FROM \"app reader\"",
                "REVOKE GRANT OPTION FOR SELECT ON TABLE \"public\".\"t\" FROM \"app reader\"",
                "GRANT UPDATE ON TABLE \"public\".\"t\" TO \"app reader\"",
            ]
        );
        let col = grant(GrantKind::Column, &[Select], &[Select], &[]);
        assert_eq!(
            change_grants(None, Some(&col)),
            ["GRANT SELECT (\"email\") ON TABLE \"public\".\"t\" TO \"app reader\" WITH GRANT OPTION"]
        );
        let mut f = grant(GrantKind::Function, &[], &[], &[Execute]);
        f.grantee = "PUBLIC".into();
        assert_eq!(
            change_grants(None, Some(&f)),
            ["REVOKE EXECUTE ON FUNCTION \"public\".\"t\"(a integer) FROM PUBLIC"]
        );
        assert_eq!(
            change_grants(Some(&f), None),
            ["GRANT EXECUTE ON FUNCTION \"public\".\"t\"(a integer) TO PUBLIC"]
        );
    }
}
