//! Steps for default privileges: set once their schema exists, taken away before it is
//! dropped.

use super::*;
use crate::render;

pub(super) fn set(from: Option<&DefaultPrivilege>, to: Option<&DefaultPrivilege>) -> Option<Step> {
    let d = to.or(from)?;
    let sql = render::change_default_privileges(from, to);
    if sql.is_empty() {
        return None;
    }
    let who = if d.grantee == "PUBLIC" {
        "PUBLIC".to_string()
    } else {
        format!("role {}", d.grantee)
    };
    let words = |d: &DefaultPrivilege| d.privileges.iter().map(|p| p.keyword()).collect::<Vec<_>>().join(", ");
    let object = d.object();
    let description = match (from, to) {
        (None, Some(t)) if t.revoked.is_empty() => format!("grant {} to {who} in {object}", words(t)),
        (Some(f), None) if f.revoked.is_empty() => format!("revoke {} from {who} in {object}", words(f)),
        _ => format!("change what {who} gets in {object}"),
    };
    let mut b = Builder::new(Rank::GRANTS, description, sql)
        .rollback(render::change_default_privileges(to, from))
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
    Some(step)
}
