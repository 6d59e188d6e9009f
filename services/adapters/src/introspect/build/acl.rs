//! Access control lists as the catalog prints them (`aclitem[]` as text): the grants of tables,
//! views, columns and sequences are read with their rows by `relations.sql`, `columns.sql`
//! and `sequences.sql` (one scan of each catalog instead of another), and turned into grants
//! here. Their defaults are the owner's own privileges alone, which are never listed.

use schemareg_engine::{Grant, GrantKind, Privilege};

/// One `grantee=privileges/grantor` item: the grantee (`PUBLIC` for the empty one) and each
/// privilege with whether it may be granted on.
fn item(text: &str) -> Option<(String, Vec<(Privilege, bool)>)> {
    let (grantee, rest) = name(text)?;
    let rest = rest.strip_prefix('=')?;
    let privileges = rest.split('/').next()?;
    let mut out: Vec<(Privilege, bool)> = Vec::new();
    for c in privileges.chars() {
        if c == '*' {
            if let Some(last) = out.last_mut() {
                last.1 = true;
            }
            continue;
        }
        let p = match c {
            'r' => Privilege::Select,
            'a' => Privilege::Insert,
            'w' => Privilege::Update,
            'd' => Privilege::Delete,
            'D' => Privilege::Truncate,
            'x' => Privilege::References,
            't' => Privilege::Trigger,
            'm' => Privilege::Maintain,
            'U' => Privilege::Usage,
            'C' => Privilege::Create,
            'X' => Privilege::Execute,
            // Privileges of databases and parameters never appear on these objects.
            _ => continue,
        };
        out.push((p, false));
    }
    Some((if grantee.is_empty() { "PUBLIC".into() } else { grantee }, out))
}

/// A role name as `aclitem` prints it (double-quoted when it needs to be), and the rest.
fn name(text: &str) -> Option<(String, &str)> {
    if text.starts_with('"') {
        return crate::ident::quoted_prefix(text);
    }
    let end = text.find('=')?;
    Some((text[..end].to_string(), &text[end..]))
}

/// The grants an ACL gives beyond the owner's own privileges, per grantee.
pub(super) fn grants(
    kind: GrantKind,
    schema: &str,
    name: &str,
    column: Option<&str>,
    owner: &str,
    acl: &[String],
) -> Vec<Grant> {
    let mut by_grantee: std::collections::BTreeMap<String, Grant> = std::collections::BTreeMap::new();
    for (grantee, privileges) in acl.iter().filter_map(|i| item(i)) {
        if grantee == owner || privileges.is_empty() {
            continue;
        }
        let g = by_grantee.entry(grantee.clone()).or_insert_with(|| Grant {
            kind,
            schema: Some(schema.to_string()),
            name: name.to_string(),
            arguments: None,
            column: column.map(str::to_string),
            grantee,
            privileges: Vec::new(),
            grantable: Vec::new(),
            revoked: Vec::new(),
        });
        for (p, grantable) in privileges {
            g.privileges.push(p);
            if grantable {
                g.grantable.push(p);
            }
        }
    }
    by_grantee
        .into_values()
        .map(|mut g| {
            for v in [&mut g.privileges, &mut g.grantable] {
                v.sort();
                v.dedup();
            }
            g
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_acl_items_as_postgresql_prints_them() {
        let acl = [
            "owner=arwdDxt/owner".to_string(),
            "=r/owner".to_string(),
            "\"app \"\"reader\"\"\"=r*w/owner".to_string(),
        ];
        let g = grants(GrantKind::Table, "public", "t", None, "owner", &acl);
        assert_eq!(g.len(), 2);
        assert_eq!(
            (g[0].grantee.as_str(), g[0].privileges.as_slice()),
            ("PUBLIC", &[Privilege::Select][..])
        );
        assert_eq!(g[1].grantee, "app \"reader\"");
        assert_eq!(g[1].privileges, [Privilege::Select, Privilege::Update]);
        assert_eq!(g[1].grantable, [Privilege::Select]);
    }
}
