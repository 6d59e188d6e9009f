//! The Helm chart.

use super::*;

fn check_jsonschema(schema: &Path, files: &[PathBuf]) -> Output {
    run(
        Command::new(python_bin().join("check-jsonschema"))
            .arg("--schemafile")
            .arg(schema)
            .args(files),
        "check-jsonschema",
    )
}

#[test]
fn chart_values_pass_their_schema_and_broken_values_do_not() {
    let bin = python_bin();
    let schema = chart_dir().join("values.schema.json");
    let out = run(
        Command::new(bin.join("check-jsonschema"))
            .args(["--check-metaschema"])
            .arg(&schema),
        "check-jsonschema",
    );
    assert!(
        out.status.success(),
        "helm/schemareg/values.schema.json is no valid JSON Schema:\n{}",
        printed(&out)
    );
    let schema_doc: Value = serde_json::from_str(&read("helm/schemareg/values.schema.json")).unwrap();
    assert_eq!(
        schema_doc["additionalProperties"], false,
        "helm/schemareg/values.schema.json refuses unknown top-level values"
    );

    // values.yaml alone, and each file of ci/ merged over it as Helm does.
    let defaults = yaml_doc(&chart_dir().join("values.yaml"));
    let tmp = tempfile::tempdir().unwrap();
    let mut files = vec![chart_dir().join("values.yaml")];
    for ci in ci_values() {
        let name = ci.file_stem().unwrap().to_string_lossy().to_string();
        let file = tmp.path().join(format!("{name}.merged.json"));
        std::fs::write(&file, merged(&defaults, &yaml_doc(&ci)).to_string()).unwrap();
        files.push(file);
    }
    let out = check_jsonschema(&schema, &files);
    assert!(
        out.status.success(),
        "the chart's values against helm/schemareg/values.schema.json:\n{}",
        printed(&out)
    );

    let broken = [
        ("an unknown top-level value", json!({"replicas": 3}), "replicas"),
        (
            "an unknown configuration key",
            json!({"config": {"listen_address": "0.0.0.0:80"}}),
            "listen_address",
        ),
        (
            "a secret in the ConfigMap",
            json!({"config": {"store_url": "postgres://u:pw@db/x"}}),
            "store_url",
        ),
        ("the latest tag", json!({"image": {"tag": "latest"}}), "tag"),
        (
            "a writable root filesystem",
            json!({"securityContext": {"readOnlyRootFilesystem": false}}),
            "readOnlyRootFilesystem",
        ),
        (
            "no memory limit",
            json!({"resources": {"limits": {"memory": null}}}),
            "memory",
        ),
        (
            "a string for a number",
            json!({"config": {"lease_secs": "60"}}),
            "lease_secs",
        ),
    ];
    for (what, over, path) in broken {
        let file = tmp.path().join("broken.json");
        std::fs::write(&file, merged(&defaults, &over).to_string()).unwrap();
        let out = check_jsonschema(&schema, std::slice::from_ref(&file));
        let said = printed(&out);
        assert!(
            !out.status.success() && said.contains(path),
            "values.schema.json let through {what} ({over}):\n{said}"
        );
    }
}

/// The leaves of a values tree: scalars, lists and empty maps, by dotted path.
fn leaves(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, value) in map {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                leaves(value, &path, out);
            }
        }
        _ => out.push(path.to_string()),
    }
}

/// Whether `c` may be part of a `.Values.<path>`.
fn in_path(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Whether the templates use `.Values.<path>` as a whole (not only a longer path under it).
fn uses(templates: &str, path: &str) -> bool {
    let needle = format!(".Values.{path}");
    templates.match_indices(&needle).any(|(at, _)| {
        templates[at + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !in_path(c))
    })
}

/// Every `.Values.<path>` the templates name.
fn references(templates: &str) -> BTreeSet<String> {
    templates
        .match_indices(".Values.")
        .map(|(at, needle)| {
            templates[at + needle.len()..]
                .chars()
                .take_while(|c| in_path(*c))
                .collect::<String>()
                .trim_end_matches('.')
                .to_string()
        })
        .filter(|path| !path.is_empty())
        .collect()
}

/// The chart's values that no template uses (neither the value nor a map holding it, as the
/// `config` map rendered key by key), that README.md does not list, and the values that the
/// templates name but values.yaml lacks.
fn value_problems(values: &Value, templates: &str, readme: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut paths = Vec::new();
    leaves(values, "", &mut paths);
    for path in &paths {
        let mut prefixes = std::iter::successors(Some(path.as_str()), |p| p.rfind('.').map(|at| &p[..at]));
        if !prefixes.any(|p| uses(templates, p)) {
            problems.push(format!(
                "helm/schemareg/values.yaml: {path} is used by no template (as .Values.{path} or a map holding it)"
            ));
        }
        if !readme.contains(&format!("`{path}`")) {
            problems.push(format!("helm/schemareg/README.md: the values table lacks `{path}`"));
        }
    }
    for reference in references(templates) {
        if reference.split('.').try_fold(values, |v, key| v.get(key)).is_none() {
            problems.push(format!(
                "helm/schemareg/templates: .Values.{reference} is not in values.yaml"
            ));
        }
    }
    problems
}

/// The text of every template.
fn templates_text() -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(chart_dir().join("templates"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_chart_value_is_used_and_documented() {
    let values = yaml_doc(&chart_dir().join("values.yaml"));
    let templates = templates_text();
    let readme = read("helm/schemareg/README.md");
    let problems = value_problems(&values, &templates, &readme);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let mut unused = values.clone();
    set(&mut unused, "/image/unused", Some(json!("x")));
    let problems = value_problems(&unused, &templates, &readme).join("\n");
    assert!(
        problems.contains("image.unused is used by no template") && problems.contains("lacks `image.unused`"),
        "an unused, undocumented value passed:\n{problems}"
    );
    let typo = format!("{templates}\n{{{{ .Values.imag.tag }}}}\n");
    let problems = value_problems(&values, &typo, &readme).join("\n");
    assert!(
        problems.contains(".Values.imag.tag is not in values.yaml"),
        "a template naming a missing value passed:\n{problems}"
    );
}

#[test]
fn the_chart_makes_every_object_of_the_base() {
    let chart = yaml_doc(&chart_dir().join("Chart.yaml"));
    assert_eq!(chart["apiVersion"], "v2", "helm/schemareg/Chart.yaml: apiVersion v2");
    assert_eq!(chart["version"], "0.1.0", "helm/schemareg/Chart.yaml: version 0.1.0");
    assert_eq!(
        chart["appVersion"], "0.1.0",
        "helm/schemareg/Chart.yaml: appVersion \"0.1.0\""
    );
    for file in ["_helpers.tpl", "NOTES.txt"] {
        assert!(
            chart_dir().join("templates").join(file).exists(),
            "helm/schemareg/templates/{file} is missing"
        );
    }

    let base = kinds(&kustomize(KUSTOMIZATIONS[0]).docs);
    let wanted: BTreeSet<String> = BASE_KINDS.iter().map(|k| k.to_string()).collect();
    assert_eq!(base, wanted, "deploy/kubernetes/base makes these kinds of objects");
    let templates = templates_text();
    let mut rendered = BTreeSet::new();
    for values in ci_values() {
        let docs = helm_template(&values)
            .unwrap_or_else(|e| panic!("helm/schemareg with {} does not render:\n{e}", relative(&values)));
        rendered.extend(kinds(&docs));
    }
    for kind in base
        .iter()
        .map(String::as_str)
        .chain(["HorizontalPodAutoscaler", "Ingress", "ServiceMonitor"])
    {
        assert!(
            templates.contains(&format!("kind: {kind}\n")),
            "helm/schemareg/templates has no template of a {kind}"
        );
        assert!(
            rendered.contains(kind),
            "no file of helm/schemareg/ci/ renders a {kind}: enable it in one"
        );
    }
}

#[test]
fn the_chart_lints_clean_and_refuses_what_it_must() {
    for values in ci_values() {
        let problems = helm_lint(&values);
        assert!(
            problems.is_empty(),
            "helm lint --strict helm/schemareg -f {}:\n{}",
            relative(&values),
            problems.join("\n")
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("values.json");
    std::fs::write(&file, json!({"replicaCount": "two"}).to_string()).unwrap();
    let problems = helm_lint(&file).join("\n");
    assert!(
        problems.contains("replicaCount"),
        "helm lint passed replicaCount: two:\n{problems}"
    );

    // What the chart refuses to render (by its schema or its templates' guards): no key for
    // tokens, a secret in the ConfigMap, the latest tag.
    for (values, says) in [
        (
            json!({"secrets": {"keys": {"jwtHs256Secret": ""}}}),
            "tokens need a key",
        ),
        (json!({"config": {"secret_key": "c2VjcmV0"}}), "secret_key"),
        (json!({"image": {"tag": "latest"}}), "tag"),
    ] {
        std::fs::write(&file, values.to_string()).unwrap();
        let said = helm_template(&file).err().unwrap_or_default();
        assert!(
            said.contains(says),
            "helm/schemareg rendered with {values}, which it must refuse:\n{said}"
        );
    }
}
