//! `ALTER DEFAULT PRIVILEGES`: what takes one role's default privileges on one kind of object
//! from one state to another.

use std::collections::BTreeSet;

use super::grant::{Held, role, statements};
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DefaultObjects;

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
