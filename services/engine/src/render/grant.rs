//! `GRANT` and `REVOKE`: what takes one object's grants to one role from one state to another.

use std::collections::BTreeSet;

use super::arguments::arguments;
use super::ident::{ident, qualified};
use crate::model::{Grant, GrantKind, Privilege};

/// The object as `GRANT … ON` names it: `TABLE "public"."t"`, `FUNCTION "public"."f"(integer)`.
fn on(g: &Grant) -> String {
    let name = match &g.schema {
        Some(s) => qualified(s, &g.name),
        None => ident(&g.name),
    };
    match (g.kind, &g.arguments) {
        (GrantKind::Function | GrantKind::Procedure, Some(args)) => {
            format!("{} {name}({})", g.kind.keyword(), arguments(args))
        }
        (kind, _) => format!("{} {name}", kind.keyword()),
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

/// One side's privileges for one object (or kind of object) and grantee: granted, granted
/// with grant option, and defaults taken away.
#[derive(Clone, PartialEq)]
pub(super) struct Held {
    pub privileges: BTreeSet<Privilege>,
    pub grantable: BTreeSet<Privilege>,
    pub revoked: BTreeSet<Privilege>,
}

impl Held {
    pub fn of(
        privileges: Option<&Vec<Privilege>>,
        grantable: Option<&Vec<Privilege>>,
        revoked: Option<&Vec<Privilege>>,
    ) -> Self {
        Held {
            privileges: set(privileges),
            grantable: set(grantable),
            revoked: set(revoked),
        }
    }
}

/// The statements that take `from` to `to`: `{prefix}GRANT … ON {on} TO {who}` and
/// `{prefix}REVOKE … ON {on} FROM {who}`, the privileges listed by `list`.
pub(super) fn statements(
    prefix: &str,
    on: &str,
    who: &str,
    list: &dyn Fn(&BTreeSet<Privilege>) -> String,
    from: &Held,
    to: &Held,
) -> Vec<String> {
    let mut out = Vec::new();
    let gone: BTreeSet<Privilege> = from.privileges.difference(&to.privileges).copied().collect();
    if !gone.is_empty() {
        out.push(format!("{prefix}REVOKE {} ON {on} FROM {who}", list(&gone)));
    }
    let option_gone: BTreeSet<Privilege> = from
        .grantable
        .intersection(&to.privileges)
        .filter(|p| !to.grantable.contains(p))
        .copied()
        .collect();
    if !option_gone.is_empty() {
        out.push(format!(
            "{prefix}REVOKE GRANT OPTION FOR {} ON {on} FROM {who}",
            list(&option_gone)
        ));
    }
    let plain: BTreeSet<Privilege> = to
        .privileges
        .difference(&to.grantable)
        .filter(|p| !from.privileges.contains(p))
        .copied()
        .collect();
    if !plain.is_empty() {
        out.push(format!("{prefix}GRANT {} ON {on} TO {who}", list(&plain)));
    }
    let with_option: BTreeSet<Privilege> = to.grantable.difference(&from.grantable).copied().collect();
    if !with_option.is_empty() {
        out.push(format!(
            "{prefix}GRANT {} ON {on} TO {who} WITH GRANT OPTION",
            list(&with_option)
        ));
    }
    let revoked: BTreeSet<Privilege> = to.revoked.difference(&from.revoked).copied().collect();
    if !revoked.is_empty() {
        out.push(format!("{prefix}REVOKE {} ON {on} FROM {who}", list(&revoked)));
    }
    let restored: BTreeSet<Privilege> = from.revoked.difference(&to.revoked).copied().collect();
    if !restored.is_empty() {
        out.push(format!("{prefix}GRANT {} ON {on} TO {who}", list(&restored)));
    }
    out
}

/// The states between `from` and `to` such that each move from one to the next, and back, is
/// one statement of [`statements`] (a step that must run as one statement, on a connection
/// that refuses a second, is made of such a move).
pub(super) fn single_moves(from: &Held, to: &Held) -> Vec<Held> {
    type Pick = fn(&Held, &Held) -> (BTreeSet<Privilege>, fn(&mut Held, &BTreeSet<Privilege>));
    let moves: [Pick; 8] = [
        // Taken away: those held without grant option, then those held with it.
        |s, to| {
            let x = (s.privileges.difference(&to.privileges)).filter(|p| !s.grantable.contains(p));
            (x.copied().collect(), |s, x| s.privileges.retain(|p| !x.contains(p)))
        },
        |s, to| {
            let x = (s.privileges.difference(&to.privileges)).filter(|p| s.grantable.contains(p));
            (x.copied().collect(), |s, x| {
                s.privileges.retain(|p| !x.contains(p));
                s.grantable.retain(|p| !x.contains(p));
            })
        },
        // Grant option taken away from what stays.
        |s, to| {
            let x = s
                .grantable
                .intersection(&to.privileges)
                .filter(|p| !to.grantable.contains(p));
            (x.copied().collect(), |s, x| s.grantable.retain(|p| !x.contains(p)))
        },
        // Granted without grant option.
        |s, to| {
            let x = to
                .privileges
                .difference(&to.grantable)
                .filter(|p| !s.privileges.contains(p));
            (x.copied().collect(), |s, x| s.privileges.extend(x))
        },
        // Grant option given to what is held, then granted with it.
        |s, to| {
            let x = to
                .grantable
                .difference(&s.grantable)
                .filter(|p| s.privileges.contains(p));
            (x.copied().collect(), |s, x| s.grantable.extend(x))
        },
        |s, to| {
            let x = to
                .grantable
                .difference(&s.grantable)
                .filter(|p| !s.privileges.contains(p));
            (x.copied().collect(), |s, x| {
                s.privileges.extend(x);
                s.grantable.extend(x);
            })
        },
        // Defaults taken away, and given back.
        |s, to| {
            (to.revoked.difference(&s.revoked).copied().collect(), |s, x| {
                s.revoked.extend(x)
            })
        },
        |s, to| {
            let x = s.revoked.difference(&to.revoked);
            (x.copied().collect(), |s, x| s.revoked.retain(|p| !x.contains(p)))
        },
    ];
    let mut states = vec![from.clone()];
    for pick in moves {
        let now = states.last().expect("starts with from").clone();
        let (which, apply) = pick(&now, to);
        if !which.is_empty() {
            let mut next = now;
            apply(&mut next, &which);
            states.push(next);
        }
    }
    states
}

/// A role as `GRANT … TO` names it (`PUBLIC` as the keyword).
pub(super) fn role(name: &str) -> String {
    if name == "PUBLIC" { "PUBLIC".into() } else { ident(name) }
}

/// The statements that take the grants of `from` (none: the object has none for the grantee,
/// as a new object) to those of `to` (none: take them all away). Both name the same object and
/// grantee.
pub fn change_grants(from: Option<&Grant>, to: Option<&Grant>) -> Vec<String> {
    let Some(g) = to.or(from) else { return Vec::new() };
    let held = |x: Option<&Grant>| Held::of(x.map(|x| &x.privileges), x.map(|x| &x.grantable), x.map(|x| &x.revoked));
    statements("", &on(g), &role(&g.grantee), &|p| list(g, p), &held(from), &held(to))
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
