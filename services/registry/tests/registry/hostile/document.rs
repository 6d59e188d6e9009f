//! The OpenAPI document as client generators and validators read it: every reference resolves,
//! the snapshot and plans are typed, limits are in the schemas, every status a handler answers
//! is listed (each HTTP test also checks every answer it gets against the document:
//! `http::assert_documented`).

use serde_json::Value;

use crate::http::document;

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

fn operations() -> Vec<(String, String, &'static Value)> {
    let mut out = Vec::new();
    for (path, item) in document()["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), op));
        }
    }
    out
}

#[test]
fn every_reference_resolves() {
    let doc = document();
    let mut found = Vec::new();
    refs(doc, &mut found);
    assert!(found.len() > 100);
    for r in found {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("external reference {r}"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
    assert_eq!(doc["components"]["schemas"]["Problem"]["type"], "object");
}

#[test]
fn snapshots_and_plans_are_typed() {
    let paths = &document()["paths"];
    let push =
        &paths["/v1/services/{service}/versions"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(push["$ref"], "#/components/schemas/Snapshot");
    let snapshot = &paths["/v1/services/{service}/versions/{version}/snapshot"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert_eq!(snapshot["$ref"], "#/components/schemas/Snapshot");
    let diff = &paths["/v1/services/{service}/versions/{from}/diff/{to}"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert_eq!(diff["$ref"], "#/components/schemas/Plan");
    let schemas = &document()["components"]["schemas"];
    let tables = &schemas["Snapshot"]["properties"]["tables"]["items"]["$ref"];
    assert_eq!(tables, "#/components/schemas/Table");
    assert_eq!(
        schemas["Table"]["properties"]["policies"]["items"]["$ref"],
        "#/components/schemas/RowPolicy"
    );
    assert!(
        schemas["HazardKind"]["enum"]
            .as_array()
            .unwrap()
            .contains(&"security_definer".into())
    );
    assert!(schemas["PlanView"]["properties"]["state"]["enum"].is_array());
}

#[test]
fn limits_are_in_the_schemas() {
    for (method, path, op) in operations() {
        for p in op["parameters"].as_array().into_iter().flatten() {
            let schema = &p["schema"];
            match (p["in"].as_str().unwrap(), p["name"].as_str().unwrap()) {
                ("path", "service" | "environment") => {
                    assert_eq!(
                        schema["pattern"],
                        schemareg::http::openapi::NAME_PATTERN,
                        "{method} {path}"
                    )
                }
                ("path", "version" | "from" | "to") => {
                    assert_eq!(
                        schema["pattern"],
                        schemareg::http::openapi::VERSION_PATTERN,
                        "{method} {path}"
                    )
                }
                ("query", "limit") => {
                    assert_eq!(
                        (schema["minimum"].as_i64(), schema["maximum"].as_i64()),
                        (Some(1), Some(100))
                    )
                }
                _ => {}
            }
        }
    }
    let schemas = &document()["components"]["schemas"];
    assert_eq!(
        schemas["CreateService"]["properties"]["name"]["pattern"],
        schemareg::http::openapi::NAME_PATTERN
    );
    assert_eq!(schemas["Policy"]["properties"]["approvals_required"]["maximum"], 10);
    assert_eq!(
        schemas["Policy"]["properties"]["approver_roles"]["items"]["$ref"],
        "#/components/schemas/Role"
    );
}

#[test]
fn every_post_takes_an_idempotency_key_and_says_what_it_can_answer() {
    for (method, path, op) in operations() {
        let responses = op["responses"].as_object().unwrap();
        if path.starts_with("/v1/") {
            for status in ["401", "403", "503"] {
                assert!(responses.contains_key(status), "{method} {path} does not list {status}");
            }
        }
        if method == "post" {
            let key = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["name"] == "Idempotency-Key");
            assert!(key.is_some_and(|k| k["in"] == "header"), "{method} {path}");
            for status in ["409", "422"] {
                assert!(responses.contains_key(status), "{method} {path} does not list {status}");
            }
        }
    }
}
