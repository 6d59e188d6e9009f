//! Default privileges (`ALTER DEFAULT PRIVILEGES`), role by role, schema by schema, kind of
//! object by kind and grantee by grantee. They are catalog entries of their own: no object
//! takes them away, except a schema dropped (its entries go with it, after the plan has
//! revoked them).

use super::*;

pub(super) fn diff(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let m = match_by(&from.default_privileges, &to.default_privileges, DefaultPrivilege::key);
    for d in m.removed {
        out.push(Change::SetDefaultPrivileges {
            from: Some(d.clone()),
            to: None,
        });
    }
    for d in m.added {
        out.push(Change::SetDefaultPrivileges {
            from: None,
            to: Some(d.clone()),
        });
    }
    for (a, b) in m.both {
        if a != b {
            out.push(Change::SetDefaultPrivileges {
                from: Some(a.clone()),
                to: Some(b.clone()),
            });
        }
    }
}
