//! `ALTER … OWNER TO`.

use super::arguments::arguments;
use super::grant::role;
use super::ident::{ident, qualified};
use crate::model::{OwnedKind, Owner};

/// Gives the object `o` names to `owner` (none: the role that applies the plan).
pub fn set_owner(o: &Owner, owner: Option<&str>) -> String {
    let name = match (&o.schema, o.kind) {
        (None, _) | (_, OwnedKind::Schema) => ident(&o.name),
        (Some(s), _) => qualified(s, &o.name),
    };
    let args = o
        .arguments
        .as_deref()
        .map(|a| format!("({})", arguments(a)))
        .unwrap_or_default();
    let to = owner.map_or("CURRENT_USER".to_string(), role);
    format!("ALTER {} {name}{args} OWNER TO {to}", o.kind.keyword())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_object_as_its_kind_needs() {
        let f = Owner {
            kind: OwnedKind::Routine,
            schema: Some("public".into()),
            name: "check_access".into(),
            arguments: Some("uid uuid".into()),
            owner: "definer role".into(),
        };
        assert_eq!(
            set_owner(&f, Some("definer role")),
            "ALTER ROUTINE \"public\".\"check_access\"(uid uuid) OWNER TO \"definer role\""
        );
        let s = Owner {
            kind: OwnedKind::Schema,
            schema: None,
            name: "app".into(),
            arguments: None,
            owner: "x".into(),
        };
        assert_eq!(set_owner(&s, None), "ALTER SCHEMA \"app\" OWNER TO CURRENT_USER");
    }
}
