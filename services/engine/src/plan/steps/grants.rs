//! Steps for grants: given once the object exists, taken away while it does.

use super::*;
use crate::render;

/// The object a grant is on, as the key of the step that creates it.
fn object_key(g: &Grant) -> Vec<ObjectKey> {
    let schema = g.schema.clone().unwrap_or_default();
    let relation = QualifiedName::new(&schema, &g.name);
    match g.kind {
        GrantKind::Schema => vec![ObjectKey::schema(&g.name)],
        GrantKind::Table | GrantKind::Sequence => vec![ObjectKey::rel(&relation)],
        GrantKind::Column => {
            let mut keys = vec![ObjectKey::rel(&relation)];
            keys.extend(g.column.as_deref().map(|c| ObjectKey::column(&relation, c)));
            keys
        }
        GrantKind::Function | GrantKind::Procedure => vec![ObjectKey::func(&schema, &g.name)],
        GrantKind::Type => vec![ObjectKey::type_of(&schema, &g.name)],
    }
}

pub(super) fn set_grants(from: Option<&Grant>, to: Option<&Grant>) -> Option<Step> {
    let g = to.or(from)?;
    let sql = render::change_grants(from, to);
    if sql.is_empty() {
        return None;
    }
    let words = |g: &Grant| {
        let list: Vec<&str> = g.privileges.iter().map(|p| p.keyword()).collect();
        if list.is_empty() {
            "nothing".to_string()
        } else {
            list.join(", ")
        }
    };
    let who = if g.grantee == "PUBLIC" {
        "PUBLIC".to_string()
    } else {
        format!("role {}", g.grantee)
    };
    let object = g.object();
    let description = match (from, to) {
        (None, Some(t)) if t.revoked.is_empty() => format!("grant {} on {object} to {who}", words(t)),
        (Some(f), None) if f.revoked.is_empty() => format!("revoke {} on {object} from {who}", words(f)),
        _ => format!("change what {who} may do with {object}"),
    };
    let mut b = Builder::new(Rank::GRANTS, description, sql)
        .rollback(render::change_grants(to, from))
        .lock(Lock::None);
    if to.is_some() {
        b = b.needs_new(object_key(g));
    }
    Some(b.done())
}

/// The grants a change takes away with the object it drops, given again: what the rollback
/// of the drop adds after creating the object again.
pub(super) fn restore(ctx: &Context, change: &Change) -> Vec<String> {
    crate::diff::grants::taken_by(change, ctx.from)
        .into_iter()
        .flat_map(|g| render::change_grants(None, Some(g)))
        .collect()
}
