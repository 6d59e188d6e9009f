//! Steps for default privileges: set once their schema exists, taken away before it is
//! dropped.

use super::*;
use crate::render;

pub(super) fn set(from: Option<&DefaultPrivilege>, to: Option<&DefaultPrivilege>) -> Vec<Step> {
    let Some(d) = to.or(from) else { return Vec::new() };
    let who = if d.grantee == "PUBLIC" {
        "PUBLIC".to_string()
    } else {
        format!("role {}", d.grantee)
    };
    let object = d.object();
    // For another role, one statement a step: a scratch server's admin runs them, one
    // statement at a time. For the applying role, the change is one step.
    let moves = if d.role.is_some() {
        render::default_privilege_moves(from, to)
    } else {
        let (sql, back) = (
            render::change_default_privileges(from, to),
            render::change_default_privileges(to, from),
        );
        if sql.is_empty() { vec![] } else { vec![(sql, back)] }
    };
    let n = moves.len();
    moves
        .into_iter()
        .enumerate()
        .map(|(i, (sql, back))| {
            let what = match (from, to) {
                (None, Some(t)) if t.revoked.is_empty() => format!("grant {} to {who} in {object}", words(t)),
                (Some(f), None) if f.revoked.is_empty() => format!("revoke {} from {who} in {object}", words(f)),
                _ => format!("change what {who} gets in {object}"),
            };
            let description = if n > 1 {
                format!("{what} ({} of {n})", i + 1)
            } else {
                what
            };
            let mut b = Builder::new(Rank::GRANTS, description, sql)
                .rollback(back)
                .lock(Lock::None);
            if let Some(s) = to.and_then(|t| t.schema.as_deref()) {
                b = b.needs_new([ObjectKey::schema(s)]);
            }
            if let Some(s) = from.and_then(|f| f.schema.as_deref()) {
                b = b.needs_old([ObjectKey::schema(s)]);
            }
            let mut step = b.done();
            step.for_role = d.role.clone();
            step.rollback_for_role = d.role.clone();
            step
        })
        .collect()
}

fn words(d: &DefaultPrivilege) -> String {
    d.privileges.iter().map(|p| p.keyword()).collect::<Vec<_>>().join(", ")
}
