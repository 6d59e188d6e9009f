//! The texts of a snapshot, found from its type: every property the OpenAPI document's
//! `Snapshot` schema types as a string (or a string enum), at any depth. The document is
//! generated from the model, so a field added to it is found here without a word of the test
//! changing; the fixture must hold an object that has it (or its parent, for a leaf).

use serde_json::Value;

/// One step of a path: a property, or every item of a list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Item,
}

/// A path as people read it: `tables[].columns[].name`.
pub fn show(path: &[Seg]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Item => out.push_str("[]"),
        }
    }
    out
}

/// Every path to a text in `Snapshot`, sorted.
pub fn text_paths(openapi: &Value) -> Vec<Vec<Seg>> {
    let schemas = &openapi["components"]["schemas"];
    let mut out = Vec::new();
    walk(schemas, &schemas["Snapshot"], &mut Vec::new(), &mut out, 0);
    out.sort();
    out.dedup();
    out
}

fn walk(schemas: &Value, schema: &Value, path: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>, depth: usize) {
    assert!(
        depth < 20,
        "the Snapshot schema nests deeper than a snapshot does at {}",
        show(path)
    );
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        return walk(schemas, &schemas[name], path, out, depth + 1);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for s in schema[key].as_array().into_iter().flatten() {
            walk(schemas, s, path, out, depth + 1);
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if types.contains(&"string") || schema.get("enum").is_some() {
        out.push(path.clone());
    }
    if let Some(properties) = schema["properties"].as_object() {
        for (k, s) in properties {
            path.push(Seg::Key(k.clone()));
            walk(schemas, s, path, out, depth + 1);
            path.pop();
        }
    }
    if types.contains(&"array") {
        path.push(Seg::Item);
        walk(schemas, &schema["items"], path, out, depth + 1);
        path.pop();
    }
}

/// Where a path is in a document, as a JSON pointer: the first place it holds a string, else
/// the first object that could hold its last property.
pub fn locate(doc: &Value, path: &[Seg]) -> Option<String> {
    find(doc, path, false).or_else(|| find(doc, path, true))
}

fn find(v: &Value, path: &[Seg], insert: bool) -> Option<String> {
    let Some((first, rest)) = path.split_first() else {
        return v.is_string().then(String::new);
    };
    match (first, v) {
        (Seg::Key(k), Value::Object(o)) => match o.get(k) {
            Some(inner) => find(inner, rest, insert).map(|p| format!("/{k}{p}")),
            None if insert && rest.is_empty() => Some(format!("/{k}")),
            None => None,
        },
        (Seg::Item, Value::Array(items)) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| find(item, rest, insert).map(|p| format!("/{i}{p}"))),
        _ => None,
    }
}

/// The document with `text` at `pointer` (a property made when it is missing).
pub fn with_text(doc: &Value, pointer: &str, text: &str) -> Value {
    let mut doc = doc.clone();
    set(&mut doc, pointer, text);
    doc
}

pub fn set(doc: &mut Value, pointer: &str, text: &str) {
    if let Some(slot) = doc.pointer_mut(pointer) {
        *slot = Value::String(text.to_string());
        return;
    }
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer has a parent");
    doc.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{pointer}: its parent is not an object"))
        .insert(key.to_string(), Value::String(text.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_texts_by_type_and_places_them() {
        let openapi = json!({"components": {"schemas": {
            "Snapshot": {"type": "object", "properties": {
                "format": {"type": "integer"},
                "tables": {"type": "array", "items": {"$ref": "#/components/schemas/Table"}}}},
            "Table": {"type": "object", "properties": {
                "name": {"type": "string"},
                "comment": {"type": ["string", "null"]},
                "kind": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Kind"}]}}},
            "Kind": {"type": "string", "enum": ["a", "b"]}}}});
        let paths: Vec<String> = text_paths(&openapi).iter().map(|p| show(p)).collect();
        assert_eq!(paths, ["tables[].comment", "tables[].kind", "tables[].name"]);
        let doc = json!({"tables": [{"name": "a"}, {"name": "b", "comment": "c"}]});
        let path = &text_paths(&openapi)[0];
        assert_eq!(locate(&doc, path).as_deref(), Some("/tables/1/comment"));
        let only_names = json!({"tables": [{"name": "a"}]});
        assert_eq!(locate(&only_names, path).as_deref(), Some("/tables/0/comment"));
        assert_eq!(
            with_text(&only_names, "/tables/0/comment", "x"),
            json!({"tables": [{"name": "a", "comment": "x"}]})
        );
        assert_eq!(locate(&json!({"tables": []}), path), None);
    }
}
