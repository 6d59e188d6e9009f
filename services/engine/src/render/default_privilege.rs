//! `ALTER DEFAULT PRIVILEGES`: what takes one role's default privileges on one kind of object
//! from one state to another.

use std::collections::BTreeSet;

use super::grant::{Held, role, single_moves, statements};
use super::ident::ident;
use crate::model::{DefaultPrivilege, Privilege};

/// `ALTER DEFAULT PRIVILEGES FOR ROLE "app" IN SCHEMA "public" ` (each part when given).
fn prefix(d: &DefaultPrivilege) -> String {
    let mut s = String::from("ALTER DEFAULT PRIVILEGES ");
    if let Some(r) = &d.role {
        s.push_str(&format!("FOR ROLE {} ", ident(r)));
    }
    if let Some(x) = &d.schema {
        s.push_str(&format!("IN SCHEMA {} ", ident(x)));
    }
    s
}

/// The statements that take `from` (none: nothing beyond PostgreSQL's defaults) to `to`
/// (none: back to the defaults). Both name the same role, schema, kind and grantee.
pub fn change_default_privileges(from: Option<&DefaultPrivilege>, to: Option<&DefaultPrivilege>) -> Vec<String> {
    let Some(d) = to.or(from) else { return Vec::new() };
    let held = |x: Option<&DefaultPrivilege>| {
        Held::of(x.map(|x| &x.privileges), x.map(|x| &x.grantable), x.map(|x| &x.revoked))
    };
    let list = |p: &BTreeSet<Privilege>| p.iter().map(|p| p.keyword()).collect::<Vec<_>>().join(", ");
    statements(
        &prefix(d),
        d.on.keyword(),
        &role(&d.grantee),
        &list,
        &held(from),
        &held(to),
    )
}

/// [`change_default_privileges`] as single statements, each with the one that undoes it, in
/// the order they run. Default privileges for another role are set by a connection that runs
/// one statement at a time (a scratch server's admin), so each step holds one.
pub fn default_privilege_moves(
    from: Option<&DefaultPrivilege>,
    to: Option<&DefaultPrivilege>,
) -> Vec<(Vec<String>, Vec<String>)> {
    let Some(d) = to.or(from) else { return Vec::new() };
    let held = |x: Option<&DefaultPrivilege>| {
        Held::of(x.map(|x| &x.privileges), x.map(|x| &x.grantable), x.map(|x| &x.revoked))
    };
    let list = |p: &BTreeSet<Privilege>| p.iter().map(|p| p.keyword()).collect::<Vec<_>>().join(", ");
    let one = |a: &Held, b: &Held| {
        let mut v = statements(&prefix(d), d.on.keyword(), &role(&d.grantee), &list, a, b);
        debug_assert_eq!(v.len(), 1, "a move is one statement");
        v.pop().unwrap_or_default()
    };
    single_moves(&held(from), &held(to))
        .windows(2)
        .map(|w| (vec![one(&w[0], &w[1])], vec![one(&w[1], &w[0])]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DefaultObjects;

    #[test]
    fn each_move_is_one_statement_undone_by_one() {
        use Privilege::*;
        let d = |privileges: Vec<Privilege>, grantable: Vec<Privilege>, revoked: Vec<Privilege>| DefaultPrivilege {
            role: Some("owner".into()),
            schema: None,
            on: DefaultObjects::Tables,
            grantee: "PUBLIC".into(),
            privileges,
            grantable,
            revoked,
        };
        let from = d(vec![Select, Insert, Delete, Update], vec![Insert, Update], vec![]);
        let to = d(
            vec![Select, Update, Truncate, References, Trigger],
            vec![Select, Trigger],
            vec![],
        );
        let moves = default_privilege_moves(Some(&from), Some(&to));
        let forward: Vec<&str> = moves.iter().map(|(f, _)| f[0].as_str()).collect();
        assert_eq!(
            forward,
            [
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" REVOKE DELETE ON TABLES FROM PUBLIC",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" REVOKE INSERT ON TABLES FROM PUBLIC",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" REVOKE GRANT OPTION FOR UPDATE ON TABLES FROM PUBLIC",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" GRANT TRUNCATE, REFERENCES ON TABLES TO PUBLIC",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" GRANT SELECT ON TABLES TO PUBLIC WITH GRANT OPTION",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" GRANT TRIGGER ON TABLES TO PUBLIC WITH GRANT OPTION",
            ]
        );
        let back: Vec<&str> = moves.iter().map(|(_, b)| b[0].as_str()).collect();
        assert_eq!(
            back,
            [
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" GRANT DELETE ON TABLES TO PUBLIC",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" GRANT INSERT ON TABLES TO PUBLIC WITH GRANT OPTION",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" GRANT UPDATE ON TABLES TO PUBLIC WITH GRANT OPTION",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" REVOKE TRUNCATE, REFERENCES ON TABLES FROM PUBLIC",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" REVOKE GRANT OPTION FOR SELECT ON TABLES FROM PUBLIC",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" REVOKE TRIGGER ON TABLES FROM PUBLIC",
            ]
        );
        let f = d(vec![], vec![], vec![Select]);
        assert_eq!(
            default_privilege_moves(None, Some(&f)),
            [(
                vec!["ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" REVOKE SELECT ON TABLES FROM PUBLIC".to_string()],
                vec!["ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" GRANT SELECT ON TABLES TO PUBLIC".to_string()]
            )]
        );
    }

    #[test]
    fn alters_default_privileges_for_the_role_and_schema_named() {
        use Privilege::*;
        let d = DefaultPrivilege {
            role: Some("app owner".into()),
            schema: Some("public".into()),
            on: DefaultObjects::Tables,
            grantee: "reader".into(),
            privileges: vec![Select, Insert],
            grantable: vec![Select],
            revoked: vec![],
        };
        assert_eq!(
            change_default_privileges(None, Some(&d)),
            [
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"app owner\" IN SCHEMA \"public\" GRANT INSERT ON TABLES TO \"reader\"",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"app owner\" IN SCHEMA \"public\" GRANT SELECT ON TABLES TO \"reader\" WITH GRANT OPTION",
            ]
        );
        let f = DefaultPrivilege {
            role: None,
            schema: None,
            on: DefaultObjects::Functions,
            grantee: "PUBLIC".into(),
            privileges: vec![],
            grantable: vec![],
            revoked: vec![Execute],
        };
        assert_eq!(
            change_default_privileges(None, Some(&f)),
            ["ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC"]
        );
        assert_eq!(
            change_default_privileges(Some(&f), None),
            ["ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC"]
        );
    }
}
