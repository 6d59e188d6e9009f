//! Hazards of DDL that raises privileges or widens access: `SECURITY DEFINER` functions, code
//! in untrusted languages, row-level security weakened. Ownership changes (`ALTER … OWNER TO`)
//! and event triggers never appear in a plan: they are not part of the snapshot.

use super::super::hazard::{Hazard, HazardKind as H};
use super::Context;
use crate::model::{Extension, Function, Policy, QualifiedName, RowSecurity, TRUSTED_LANGUAGES};

/// The extensions that install a procedural language PostgreSQL does not sandbox.
const UNTRUSTED_LANGUAGE_EXTENSIONS: [&str; 6] = ["plpython3u", "plpythonu", "plpython2u", "plperlu", "pltclu", "plsh"];

/// Who will own what the plan creates: the role that applies it, as far as it is known.
fn owner(ctx: &Context) -> String {
    match &ctx.options.applier {
        Some(a) if a.superuser => format!("{} (the role that applies this plan; a superuser)", a.role),
        Some(a) => format!("{} (the role that applies this plan)", a.role),
        None => "the role that applies this plan".into(),
    }
}

/// The hazards of creating or replacing a function with this definition (`was` the one it
/// replaces).
pub(super) fn function_hazards(ctx: &Context, f: &Function, was: Option<&Function>) -> Vec<Hazard> {
    let mut out = Vec::new();
    let name = format!("{}.{}({})", f.schema, f.name, f.arguments);
    if f.security_definer() {
        let what = match was {
            Some(w) if w.security_definer() => "changes the body of",
            Some(_) => "makes",
            None => "creates",
        };
        let path = if f.pins_search_path() {
            ""
        } else {
            "; it sets no search_path, so objects of the caller's schemas can stand in for the ones it means (add SET search_path)"
        };
        out.push(Hazard::new(
            H::SecurityDefiner,
            format!(
                "{what} SECURITY DEFINER {name}: it runs with the privileges of its owner, {}, for everyone who may \
                 execute it, and PUBLIC may unless EXECUTE is revoked{path}",
                owner(ctx)
            ),
        ));
    }
    // An aggregate is "internal": it runs the functions it names, which are checked themselves.
    if f.kind != crate::model::FunctionKind::Aggregate
        && !TRUSTED_LANGUAGES.contains(&f.language.to_ascii_lowercase().as_str())
    {
        out.push(Hazard::new(
            H::UntrustedLanguage,
            format!(
                "{name} is written in {}, which PostgreSQL does not sandbox: it can read and write the server's files \
                 and run programs as the server's OS user; it will be owned by {}",
                f.language,
                owner(ctx)
            ),
        ));
    }
    out
}

/// The hazard of creating an extension, when it installs an untrusted language.
pub(super) fn extension_hazards(e: &Extension) -> Vec<Hazard> {
    if UNTRUSTED_LANGUAGE_EXTENSIONS.contains(&e.name.as_str()) {
        vec![Hazard::new(
            H::UntrustedLanguage,
            format!(
                "creates extension {}, an untrusted language: functions written in it can do whatever the server's OS \
                 user can",
                e.name
            ),
        )]
    } else {
        Vec::new()
    }
}

/// The hazard of changing a table's row-level security, when it widens access.
pub(super) fn row_security_hazards(table: &QualifiedName, from: RowSecurity, to: RowSecurity) -> Vec<Hazard> {
    let mut out = Vec::new();
    if from.enabled && !to.enabled {
        out.push(Hazard::new(
            H::WeakensRowSecurity,
            format!("disables row-level security on {table}: its policies no longer filter rows, every role with a privilege on it sees every row"),
        ));
    } else if from.forced && !to.forced {
        out.push(Hazard::new(
            H::WeakensRowSecurity,
            format!("no longer forces row-level security on {table}: its owner sees every row again"),
        ));
    }
    out
}

/// The hazard of dropping a policy, when it is restrictive (rows it hid become visible).
pub(super) fn policy_drop_hazards(table: &QualifiedName, policy: &Policy, rls_stays: bool) -> Vec<Hazard> {
    if !policy.permissive && rls_stays {
        vec![Hazard::new(
            H::WeakensRowSecurity,
            format!(
                "drops restrictive policy {} on {table}: rows it hid become visible to the roles it applied to",
                policy.name
            ),
        )]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::{Applier, HazardKind, PlanOptions, plan};

    fn snapshot(json: serde_json::Value) -> crate::Snapshot {
        crate::from_json(json.to_string().as_bytes()).unwrap()
    }

    fn function(definer: bool, language: &str) -> serde_json::Value {
        let attrs = if definer { " SECURITY DEFINER\n" } else { "" };
        serde_json::json!({"schema": "public", "name": "f", "arguments": "", "kind": "function",
            "result": "integer", "language": language,
            "definition": format!("CREATE OR REPLACE FUNCTION public.f()\n RETURNS integer\n LANGUAGE {language}\n{attrs}AS $function$select 1$function$\n")})
    }

    fn hazards(from: serde_json::Value, to: serde_json::Value, options: &PlanOptions) -> Vec<(HazardKind, String)> {
        plan(&snapshot(from), &snapshot(to), options)
            .steps
            .into_iter()
            .flat_map(|s| s.hazards)
            .map(|h| (h.kind, h.message))
            .collect()
    }

    fn with(functions: serde_json::Value) -> serde_json::Value {
        serde_json::json!({"format": 1, "schemas": [{"name": "public"}], "functions": functions})
    }

    #[test]
    fn a_security_definer_function_is_a_hazard_that_names_its_owner() {
        let options = PlanOptions {
            applier: Some(Applier {
                role: "deploy".into(),
                superuser: true,
            }),
            ..PlanOptions::default()
        };
        let found = hazards(
            with(serde_json::json!([])),
            with(serde_json::json!([function(true, "sql")])),
            &options,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, HazardKind::SecurityDefiner);
        for part in ["deploy", "superuser", "PUBLIC", "search_path"] {
            assert!(found[0].1.contains(part), "{}", found[0].1);
        }
        // Made a definer by a replacement: said too; an invoker function is not a hazard.
        let made = hazards(
            with(serde_json::json!([function(false, "sql")])),
            with(serde_json::json!([function(true, "sql")])),
            &PlanOptions::default(),
        );
        assert_eq!(
            made.iter().map(|h| h.0).collect::<Vec<_>>(),
            [HazardKind::SecurityDefiner]
        );
        assert!(made[0].1.starts_with("makes SECURITY DEFINER"), "{}", made[0].1);
        assert!(
            hazards(
                with(serde_json::json!([])),
                with(serde_json::json!([function(false, "plpgsql")])),
                &PlanOptions::default()
            )
            .is_empty()
        );
    }

    #[test]
    fn untrusted_languages_and_their_extensions_are_hazards() {
        let c = hazards(
            with(serde_json::json!([])),
            with(serde_json::json!([function(false, "c")])),
            &PlanOptions::default(),
        );
        assert_eq!(
            c.iter().map(|h| h.0).collect::<Vec<_>>(),
            [HazardKind::UntrustedLanguage]
        );
        let ext = |name: &str| serde_json::json!({"format": 1, "schemas": [{"name": "public"}], "extensions": [{"name": name, "schema": "public"}]});
        let empty = serde_json::json!({"format": 1, "schemas": [{"name": "public"}]});
        let py = hazards(empty.clone(), ext("plpython3u"), &PlanOptions::default());
        assert_eq!(
            py.iter().map(|h| h.0).collect::<Vec<_>>(),
            [HazardKind::UntrustedLanguage]
        );
        assert!(hazards(empty, ext("pgcrypto"), &PlanOptions::default()).is_empty());
    }

    #[test]
    fn weakening_row_level_security_is_a_hazard() {
        let table = |enabled: bool, forced: bool, restrictive: bool| {
            let mut policies = vec![
                serde_json::json!({"name": "own", "command": "all", "permissive": true, "roles": ["public"], "using": "true"}),
            ];
            if restrictive {
                policies.push(serde_json::json!({"name": "tenant", "command": "all", "permissive": false, "roles": ["public"], "using": "true"}));
            }
            serde_json::json!({"format": 1, "schemas": [{"name": "public"}], "tables": [{"schema": "public", "name": "t",
                "columns": [{"name": "id", "type": "integer", "not_null": true}],
                "row_security": {"enabled": enabled, "forced": forced}, "policies": policies}]})
        };
        let kinds = |from, to| {
            hazards(from, to, &PlanOptions::default())
                .into_iter()
                .map(|h| h.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            kinds(table(true, false, false), table(false, false, false)),
            [HazardKind::WeakensRowSecurity]
        );
        assert_eq!(
            kinds(table(true, true, false), table(true, false, false)),
            [HazardKind::WeakensRowSecurity]
        );
        assert_eq!(
            kinds(table(true, false, true), table(true, false, false)),
            [HazardKind::WeakensRowSecurity]
        );
        assert!(kinds(table(false, false, false), table(true, true, true)).is_empty());
    }
}
