//! The deployment files: `deploy/Dockerfile`, the kustomize base and production overlay of
//! `deploy/kubernetes/`, and the Helm chart `helm/schemareg/`.
//!
//! Each is checked by its ecosystem's tool, pinned in `clients::tools` and run offline:
//! hadolint; kubernetes-validate in strict mode against the API schemas of two Kubernetes
//! versions, an older and the newest it knows; check-jsonschema; Helm's own Go library
//! (helm-python-sdk) to render and lint the chart without a `helm` binary; and `kubectl
//! kustomize` (kubectl's built-in kustomize, no cluster) to render the kustomizations. Then this
//! repository's own rules: a security policy for every workload, the wiring between the objects,
//! and every rendered `schemareg.toml` loaded by the registry's own configuration loader.
//!
//! Every check also runs on a broken copy, which must fail: a check that cannot fail proves
//! nothing.

mod chart;
mod configuration;
mod image;
mod overlay;
mod policy;
mod schemas;
mod wiring;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::clients::tools::python_bin;
use crate::common::{free_port, repo};
use crate::served::Served;

/// The Kubernetes versions the manifests are validated against: an old one still in use and the
/// newest kubernetes-validate knows.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.31.0", "1.37.0"];

/// The same oldest version, as Helm spells it.
const HELM_KUBE_VERSION: &str = "v1.31.0";

/// Custom resources: kubernetes-validate has no schema for them (they are still rendered,
/// and checked for wiring).
const CUSTOM_KINDS: [&str; 1] = ["ServiceMonitor"];

/// The configuration's secrets: read from a Secret, never written in a configuration file.
const SECRET_KEYS: [&str; 4] = ["store_url", "scratch_url", "jwt_hs256_secret", "secret_key"];

/// The kustomizations, the base first.
const KUSTOMIZATIONS: [&str; 2] = ["deploy/kubernetes/base", "deploy/kubernetes/overlays/production"];

/// The registry's container in a Deployment, as a JSON pointer.
const CONTAINER: &str = "/spec/template/spec/containers/0";

/// Every kind of object the base has, which the chart must make too.
const BASE_KINDS: [&str; 6] = [
    "ServiceAccount",
    "ConfigMap",
    "Service",
    "Deployment",
    "PodDisruptionBudget",
    "NetworkPolicy",
];

fn run(cmd: &mut Command, what: &str) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {what}: {e}"))
}

fn printed(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The pinned Python, running `script` (its arguments follow).
fn python(script: &str) -> Command {
    let mut cmd = Command::new(python_bin().join("python"));
    cmd.arg("-c").arg(script);
    cmd
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn relative(path: &Path) -> String {
    path.strip_prefix(repo()).unwrap_or(path).display().to_string()
}

// ---- YAML, through PyYAML ---------------------------------------------------------------------

const YAML_TO_JSON: &str = r#"
import json, sys, yaml
with open(sys.argv[1]) as f:
    docs = [d for d in yaml.safe_load_all(f) if d is not None]
json.dump(docs, sys.stdout, default=str)
"#;

/// The documents of a YAML file, as JSON.
fn yaml_docs(path: &Path) -> Vec<Value> {
    let out = run(python(YAML_TO_JSON).arg(path), "python (PyYAML)");
    assert!(
        out.status.success(),
        "{} is not valid YAML:\n{}",
        relative(path),
        printed(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The one document of a YAML file.
fn yaml_doc(path: &Path) -> Value {
    let mut docs = yaml_docs(path);
    assert_eq!(docs.len(), 1, "{} holds one YAML document", relative(path));
    docs.remove(0)
}

/// Documents as a YAML stream (JSON is YAML).
fn write_docs(path: &Path, docs: &[Value]) {
    let docs: Vec<String> = docs.iter().map(|d| serde_json::to_string(d).unwrap()).collect();
    std::fs::write(path, docs.join("\n---\n")).unwrap();
}

/// Sets the value at a JSON pointer of `doc`, or with `None` removes it.
fn set(doc: &mut Value, pointer: &str, value: Option<Value>) {
    let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
    let key = key.replace("~1", "/").replace("~0", "~");
    let parent = doc
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{pointer}: no such object"));
    match value {
        Some(value) => {
            parent.insert(key, value);
        }
        None => {
            parent.remove(&key);
        }
    }
}

/// Helm's merge of values over defaults: maps merge, a null removes the default, anything
/// else replaces it.
fn merged(defaults: &Value, over: &Value) -> Value {
    match (defaults, over) {
        (Value::Object(defaults), Value::Object(over)) => {
            let mut out = defaults.clone();
            for (key, value) in over {
                if value.is_null() {
                    out.remove(key);
                } else {
                    let value = match defaults.get(key) {
                        Some(default) => merged(default, value),
                        None => value.clone(),
                    };
                    out.insert(key.clone(), value);
                }
            }
            Value::Object(out)
        }
        _ => over.clone(),
    }
}

// ---- Rendering: kustomize and Helm -----------------------------------------------------------

/// A set of manifests, and what made it.
struct Rendered {
    source: String,
    docs: Vec<Value>,
}

fn kustomize(dir: &str) -> Rendered {
    let out = run(
        Command::new("kubectl").arg("kustomize").arg(repo().join(dir)),
        "kubectl kustomize (kubectl, whose built-in kustomize renders the kustomizations, is missing)",
    );
    assert!(out.status.success(), "kubectl kustomize {dir}:\n{}", printed(&out));
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("rendered.yaml");
    std::fs::write(&file, out.stdout.as_slice()).unwrap();
    Rendered {
        source: dir.to_string(),
        docs: yaml_docs(&file),
    }
}

fn chart_dir() -> PathBuf {
    repo().join("helm/schemareg")
}

const HELM_TEMPLATE: &str = r#"
import json, sys, yaml, helm_python
chart = helm_python.Chart.load(sys.argv[1])
with open(sys.argv[2]) as f:
    values = yaml.safe_load(f) or {}
out = chart.render(values, name="schemareg", namespace="schemareg", is_install=True)
docs = []
for path in sorted(out):
    if path.endswith(".yaml"):
        docs += [d for d in yaml.safe_load_all(out[path]) if d is not None]
json.dump(docs, sys.stdout, default=str)
"#;

/// `helm template` of the chart with a values file (Helm's library checks the values against
/// values.schema.json first); `Err` with Helm's words.
fn helm_template(values: &Path) -> Result<Vec<Value>, String> {
    let out = run(
        python(HELM_TEMPLATE).arg(chart_dir()).arg(values),
        "python with helm-python-sdk",
    );
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(printed(&out))
    }
}

const HELM_LINT: &str = r#"
import json, sys, yaml, helm_python
with open(sys.argv[2]) as f:
    values = yaml.safe_load(f) or {}
json.dump(helm_python.lint(sys.argv[1], values, strict=True, kube_version=sys.argv[3]), sys.stdout)
"#;

/// `helm lint --strict` of the chart with a values file: its warnings and errors.
fn helm_lint(values: &Path) -> Vec<String> {
    let out = run(
        python(HELM_LINT).arg(chart_dir()).arg(values).arg(HELM_KUBE_VERSION),
        "python with helm-python-sdk",
    );
    assert!(out.status.success(), "helm lint could not run:\n{}", printed(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut problems: Vec<String> = report["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["severity"].as_u64().unwrap_or(3) >= 2)
        .map(|m| format!("{}: {}", m["path"], m["error"]))
        .collect();
    problems.extend(report["errors"].as_array().into_iter().flatten().map(|e| e.to_string()));
    problems
}

/// The files of `helm/schemareg/ci/`: the chart's example values.
fn ci_values() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(chart_dir().join("ci"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 2,
        "helm/schemareg/ci/ holds at least a default-like and a production-like values file"
    );
    files
}

/// Every set of manifests: both kustomizations, and the chart with each file of `ci/`.
fn all_rendered() -> Vec<Rendered> {
    let mut sets: Vec<Rendered> = KUSTOMIZATIONS.into_iter().map(kustomize).collect();
    for values in ci_values() {
        let source = format!("helm/schemareg with {}", relative(&values));
        let docs = helm_template(&values).unwrap_or_else(|e| panic!("{source} does not render:\n{e}"));
        sets.push(Rendered { source, docs });
    }
    sets
}

fn kinds(docs: &[Value]) -> BTreeSet<String> {
    docs.iter()
        .filter_map(|d| d["kind"].as_str())
        .map(str::to_string)
        .collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    docs.iter().filter(move |d| d["kind"] == kind)
}

fn deployment_mut(docs: &mut [Value]) -> &mut Value {
    docs.iter_mut()
        .find(|d| d["kind"] == "Deployment")
        .expect("a Deployment")
}

fn name_of(doc: &Value) -> String {
    format!(
        "{}/{}",
        doc["kind"].as_str().unwrap_or("?"),
        doc["metadata"]["name"].as_str().unwrap_or("?")
    )
}
