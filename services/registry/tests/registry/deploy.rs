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

// ---- The Dockerfile ----------------------------------------------------------------------------

fn hadolint(file: &Path) -> Output {
    // From an empty folder: no configuration file of hadolint's is found and relaxes it.
    let tmp = tempfile::tempdir().unwrap();
    run(
        Command::new(python_bin().join("hadolint"))
            .args(["--no-color", "--failure-threshold", "style"])
            .arg(file)
            .current_dir(tmp.path()),
        "hadolint",
    )
}

#[test]
fn the_dockerfile_passes_hadolint_and_a_broken_one_does_not() {
    let out = hadolint(&repo().join("deploy/Dockerfile"));
    assert!(
        out.status.success(),
        "hadolint deploy/Dockerfile (fix what the rule asks, or ignore it inline, \
         `# hadolint ignore=DLxxxx` under a comment saying why):\n{}",
        printed(&out)
    );

    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("Dockerfile");
    std::fs::write(
        &broken,
        "FROM debian:latest\nRUN apt-get update && apt-get install curl\nCMD [\"curl\"]\n",
    )
    .unwrap();
    let out = hadolint(&broken);
    let said = printed(&out);
    assert!(
        !out.status.success(),
        "hadolint passed a Dockerfile on `latest` with unpinned packages:\n{said}"
    );
    for rule in ["DL3007", "DL3008"] {
        assert!(said.contains(rule), "hadolint did not name {rule}:\n{said}");
    }
}

/// The Dockerfile's instructions: continuation lines joined, comments left out.
fn instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head.trim_end());
                current.push(' ');
            }
            None => {
                current.push_str(line);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

fn pinned(image: &str) -> bool {
    image
        .split_once("@sha256:")
        .is_some_and(|(_, digest)| digest.len() == 64 && digest.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `1.95` of `1.95` or `1.95.0`.
fn version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// What the image must be, read off its Dockerfile: base images pinned by digest, a Rust at
/// least the workspace's rust-version, the locked release build of schemareg, a numeric
/// non-root user, the entrypoint, command and port the manifests expect, a health check on
/// /healthz, and every ignored hadolint rule explained.
fn dockerfile_problems(text: &str, rust_version: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let instructions = instructions(text);
    let args: Vec<(&str, &str)> = instructions
        .iter()
        .filter_map(|i| i.strip_prefix("ARG "))
        .filter_map(|a| a.split_once('='))
        .collect();
    let mut stages: Vec<&str> = Vec::new();
    for from in instructions.iter().filter_map(|i| i.strip_prefix("FROM ")) {
        let words: Vec<&str> = from.split_whitespace().collect();
        let image = words.first().copied().unwrap_or("");
        let resolved = match image.strip_prefix("${").and_then(|a| a.strip_suffix('}')) {
            Some(arg) => args
                .iter()
                .find(|(name, _)| *name == arg)
                .map_or("", |(_, default)| *default),
            None => image,
        };
        if !stages.contains(&resolved) && !pinned(resolved) {
            problems.push(format!(
                "FROM {image}: {resolved:?} is not pinned by digest (name:tag@sha256:…)"
            ));
        }
        if let [_, keyword, name] = words.as_slice()
            && keyword.eq_ignore_ascii_case("as")
        {
            stages.push(*name);
        }
    }
    let rust = args
        .iter()
        .find(|(name, _)| *name == "RUST_IMAGE")
        .map_or("", |(_, default)| *default);
    let image_version = rust
        .strip_prefix("rust:")
        .and_then(|tag| tag.split(['-', '@']).next())
        .and_then(version);
    if !matches!((image_version, version(rust_version)), (Some(image), Some(wanted)) if image >= wanted) {
        problems.push(format!(
            "ARG RUST_IMAGE={rust:?}: not a rust:X.Y image at or above the workspace's rust-version {rust_version}"
        ));
    }
    if !instructions
        .iter()
        .any(|i| i.starts_with("RUN ") && i.contains("cargo build --release --locked -p schemareg"))
    {
        problems.push("no `RUN … cargo build --release --locked -p schemareg`".into());
    }
    for wanted in ["ENTRYPOINT [\"schemareg\"]", "CMD [\"serve\"]", "EXPOSE 8080"] {
        if !instructions.iter().any(|i| i.as_str() == wanted) {
            problems.push(format!("no `{wanted}` instruction"));
        }
    }
    if !instructions
        .iter()
        .any(|i| i.starts_with("ENV ") && i.contains("SCHEMAREG_LISTEN=0.0.0.0:8080"))
    {
        problems.push("no `ENV SCHEMAREG_LISTEN=0.0.0.0:8080`".into());
    }
    if !instructions
        .iter()
        .any(|i| i.starts_with("HEALTHCHECK ") && i.contains("/healthz") && !i.contains(" NONE"))
    {
        problems.push("no HEALTHCHECK asking /healthz".into());
    }
    let user = instructions
        .iter()
        .rev()
        .find_map(|i| i.strip_prefix("USER "))
        .unwrap_or("");
    let uid = user.split(':').next().and_then(|u| u.trim().parse::<u32>().ok());
    if uid.is_none_or(|uid| uid == 0) {
        problems.push(format!(
            "the last USER is {user:?}: it must be a numeric UID other than 0 (runAsNonRoot can check only a number)"
        ));
    }
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for (n, line) in lines.iter().enumerate() {
        if line.contains("hadolint ignore=") {
            let explained = n > 0 && lines[n - 1].starts_with('#') && !lines[n - 1].contains("hadolint");
            if !explained {
                problems.push(format!(
                    "line {}: `{line}` has no comment line above it saying why",
                    n + 1
                ));
            }
        }
    }
    problems
}

/// The workspace's `rust-version`.
fn rust_version() -> String {
    let manifest = read("Cargo.toml");
    manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_string())
        .expect("Cargo.toml's [workspace.package] has a rust-version")
}

#[test]
fn the_dockerfile_builds_the_image_the_manifests_expect() {
    let text = read("deploy/Dockerfile");
    let rust_version = rust_version();
    let problems = dockerfile_problems(&text, &rust_version);
    assert!(problems.is_empty(), "deploy/Dockerfile:\n{}", problems.join("\n"));

    let ignore = read("deploy/Dockerfile.dockerignore");
    let rules: Vec<&str> = ignore.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        rules.first(),
        Some(&"*"),
        "deploy/Dockerfile.dockerignore leaves everything out first (target/ is gigabytes), then lets the sources in"
    );
    assert!(
        !rules.iter().any(|r| r.starts_with("!target")),
        "deploy/Dockerfile.dockerignore lets target/ into the build context"
    );

    let rust_line = text
        .lines()
        .find(|l| l.starts_with("ARG RUST_IMAGE="))
        .expect("deploy/Dockerfile has ARG RUST_IMAGE=…");
    let broken = text
        .replace("USER 10001:10001", "USER root")
        .replace(rust_line, "ARG RUST_IMAGE=rust:1.80-slim-bookworm")
        .replace("CMD [\"serve\"]", "");
    let problems = dockerfile_problems(&broken, &rust_version).join("\n");
    for rule in ["USER", "pinned by digest", "rust-version", "CMD [\"serve\"]"] {
        assert!(
            problems.contains(rule),
            "the Dockerfile check missed a broken {rule}; it said:\n{problems}"
        );
    }
}

/// The HEALTHCHECK's command, in exec form.
fn health_check(text: &str) -> Vec<String> {
    let instructions = instructions(text);
    let check = instructions
        .iter()
        .find(|i| i.starts_with("HEALTHCHECK "))
        .expect("deploy/Dockerfile has a HEALTHCHECK");
    let exec = check.find("CMD [").expect("the HEALTHCHECK's CMD is in exec form");
    serde_json::from_str(&check[exec + 4..]).expect("the HEALTHCHECK's CMD is a JSON array of strings")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_image_health_check_asks_healthz() {
    let command = health_check(&read("deploy/Dockerfile"));
    let (program, args) = command.split_first().expect("the HEALTHCHECK runs a command");
    let check = |port: u16| {
        run(
            Command::new(program)
                .args(args)
                .env("SCHEMAREG_LISTEN", format!("0.0.0.0:{port}")),
            "the HEALTHCHECK's command",
        )
    };
    let served = Served::start(&[]).await;
    let out = check(served.port);
    assert!(
        out.status.success(),
        "the HEALTHCHECK of deploy/Dockerfile fails against a running registry:\n{}",
        printed(&out)
    );
    drop(served);
    let out = check(free_port());
    assert!(
        !out.status.success(),
        "the HEALTHCHECK of deploy/Dockerfile passes with nothing listening"
    );
}

// ---- The Kubernetes API schemas ------------------------------------------------------------------

/// kubernetes-validate --strict on `docs`, against each version; `Err` with what it said when a
/// document fails, or when a kind has no schema and is not a known custom resource.
fn kubernetes_validate(docs: &[Value]) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("manifests.yaml");
    write_docs(&file, docs);
    let mut problems = Vec::new();
    for version in KUBERNETES_VERSIONS {
        let out = run(
            Command::new(python_bin().join("kubernetes-validate"))
                .args(["--strict", "--quiet", "--kubernetes-version", version])
                .arg(file.as_path()),
            "kubernetes-validate",
        );
        let said = printed(&out);
        if !out.status.success() {
            problems.push(format!("Kubernetes {version}:\n{said}"));
        }
        for line in said.lines().filter(|l| l.contains("Couldn't find schema")) {
            if !CUSTOM_KINDS.iter().any(|kind| line.contains(&format!("kind {kind} "))) {
                problems.push(format!("Kubernetes {version}: not checked: {line}"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn manifests_pass_the_kubernetes_api_schemas_and_broken_ones_do_not() {
    let sets = all_rendered();
    for rendered in &sets {
        if let Err(problems) = kubernetes_validate(&rendered.docs) {
            panic!("{} fails kubernetes-validate --strict:\n{problems}", rendered.source);
        }
    }

    let mut broken = sets[0].docs.clone();
    set(
        deployment_mut(&mut broken),
        &format!("{CONTAINER}/readinessProbes"),
        Some(json!({"httpGet": {"path": "/readyz", "port": "http"}})),
    );
    let problems = kubernetes_validate(&broken)
        .expect_err("kubernetes-validate --strict passed a Deployment with an unknown field");
    assert!(problems.contains("readinessProbes"), "{problems}");

    let mut broken = sets[0].docs.clone();
    set(deployment_mut(&mut broken), "/spec/replicas", Some(json!("three")));
    let problems = kubernetes_validate(&broken)
        .expect_err("kubernetes-validate --strict passed a Deployment with replicas: three");
    assert!(problems.contains("three"), "{problems}");
}

// ---- The workload policy ---------------------------------------------------------------------

/// The pod spec of a workload, if `doc` is one.
fn pod_spec(doc: &Value) -> Option<&Value> {
    match doc["kind"].as_str()? {
        "Pod" => doc.get("spec"),
        "CronJob" => doc.pointer("/spec/jobTemplate/spec/template/spec"),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => doc.pointer("/spec/template/spec"),
        _ => None,
    }
}

/// A security-context setting of a container, else of its pod.
fn setting<'a>(container: &'a Value, pod: &'a Value, key: &str) -> &'a Value {
    let own = &container["securityContext"][key];
    if own.is_null() {
        &pod["securityContext"][key]
    } else {
        own
    }
}

/// What is wrong with an image reference: it must name a tag other than latest, or a digest.
fn image_problem(image: &str) -> Option<&'static str> {
    if image.is_empty() {
        return Some("has no image");
    }
    if pinned(image) {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None | Some((_, "")) => Some("has an image without a tag (pin a release tag or a digest)"),
        Some((_, "latest")) => Some("has an image tagged latest (pin a release tag or a digest)"),
        Some(_) => None,
    }
}

/// The repository's policy for workloads: every container runs as non-root (runAsNonRoot and a
/// non-zero runAsUser), with a read-only root filesystem, no privilege escalation, every
/// capability dropped, a RuntimeDefault (or Localhost) seccomp profile, CPU and memory requests
/// and limits, readiness and liveness probes (long-running containers), and an image pinned by a
/// tag other than latest or by digest; no service-account token is mounted and no host
/// namespace is shared.
fn policy_problems(docs: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    for doc in docs {
        let Some(pod) = pod_spec(doc) else { continue };
        let workload = name_of(doc);
        let long_running = !matches!(doc["kind"].as_str(), Some("Job" | "CronJob" | "Pod"));
        if pod["automountServiceAccountToken"].as_bool() != Some(false) {
            problems.push(format!(
                "{workload}: automountServiceAccountToken must be false (the registry never calls the Kubernetes API)"
            ));
        }
        for host in ["hostNetwork", "hostPID", "hostIPC"] {
            if pod[host].as_bool() == Some(true) {
                problems.push(format!("{workload}: {host} must not be true"));
            }
        }
        let containers = pod["containers"].as_array().into_iter().flatten().map(|c| (c, true));
        let init = pod["initContainers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| (c, false));
        let mut any = false;
        for (container, main) in containers.chain(init) {
            any = true;
            let at = format!("{workload}: container {}", container["name"].as_str().unwrap_or("?"));
            let mut rule = |broken: bool, what: &str| {
                if broken {
                    problems.push(format!("{at}: {what}"));
                }
            };
            let sc = &container["securityContext"];
            rule(
                setting(container, pod, "runAsNonRoot").as_bool() != Some(true),
                "runAsNonRoot must be true (here or in the pod's securityContext)",
            );
            rule(
                setting(container, pod, "runAsUser").as_u64().is_none_or(|uid| uid == 0),
                "runAsUser must be a UID other than 0 (here or in the pod's securityContext)",
            );
            rule(
                sc["readOnlyRootFilesystem"].as_bool() != Some(true),
                "securityContext.readOnlyRootFilesystem must be true (write to an emptyDir at /tmp)",
            );
            rule(
                sc["allowPrivilegeEscalation"].as_bool() != Some(false),
                "securityContext.allowPrivilegeEscalation must be false",
            );
            rule(
                sc["privileged"].as_bool() == Some(true),
                "securityContext.privileged must not be true",
            );
            rule(
                !sc["capabilities"]["drop"]
                    .as_array()
                    .is_some_and(|dropped| dropped.iter().any(|c| c.as_str() == Some("ALL"))),
                "securityContext.capabilities.drop must hold ALL",
            );
            rule(
                sc["capabilities"]["add"].as_array().is_some_and(|add| !add.is_empty()),
                "securityContext.capabilities.add must be empty",
            );
            rule(
                !matches!(
                    setting(container, pod, "seccompProfile")["type"].as_str(),
                    Some("RuntimeDefault" | "Localhost")
                ),
                "seccompProfile.type must be RuntimeDefault (here or in the pod's securityContext)",
            );
            for (bound, resource) in [
                ("requests", "cpu"),
                ("requests", "memory"),
                ("limits", "cpu"),
                ("limits", "memory"),
            ] {
                rule(
                    container["resources"][bound][resource].is_null(),
                    &format!("resources.{bound}.{resource} must be set"),
                );
            }
            if main && long_running {
                for probe in ["readinessProbe", "livenessProbe"] {
                    rule(!container[probe].is_object(), &format!("{probe} must be set"));
                }
            }
            if let Some(problem) = image_problem(container["image"].as_str().unwrap_or("")) {
                rule(true, problem);
            }
        }
        if !any {
            problems.push(format!("{workload}: no container"));
        }
    }
    problems
}

#[test]
fn workloads_follow_the_policy_and_broken_ones_do_not() {
    let sets = all_rendered();
    for rendered in &sets {
        assert!(
            rendered.docs.iter().any(|d| pod_spec(d).is_some()),
            "{}: no workload to check",
            rendered.source
        );
        let problems = policy_problems(&rendered.docs);
        assert!(
            problems.is_empty(),
            "{} breaks the workload policy:\n{}",
            rendered.source,
            problems.join("\n")
        );
    }

    type Break = fn(&mut Value);
    let breaks: [(&str, Break); 10] = [
        ("readOnlyRootFilesystem", |d| {
            set(d, &format!("{CONTAINER}/securityContext/readOnlyRootFilesystem"), None)
        }),
        ("latest", |d| {
            set(
                d,
                &format!("{CONTAINER}/image"),
                Some(json!("ghcr.io/schemareg/schemareg:latest")),
            )
        }),
        ("without a tag", |d| {
            set(
                d,
                &format!("{CONTAINER}/image"),
                Some(json!("ghcr.io/schemareg/schemareg")),
            )
        }),
        ("resources.limits.memory", |d| {
            set(d, &format!("{CONTAINER}/resources/limits"), None)
        }),
        ("readinessProbe", |d| {
            set(d, &format!("{CONTAINER}/readinessProbe"), None)
        }),
        ("runAsUser", |d| {
            set(d, &format!("{CONTAINER}/securityContext/runAsUser"), Some(json!(0)))
        }),
        ("runAsNonRoot", |d| {
            set(d, &format!("{CONTAINER}/securityContext/runAsNonRoot"), None);
            set(d, "/spec/template/spec/securityContext/runAsNonRoot", None);
        }),
        ("capabilities.drop", |d| {
            set(d, &format!("{CONTAINER}/securityContext/capabilities"), None)
        }),
        ("allowPrivilegeEscalation", |d| {
            set(
                d,
                &format!("{CONTAINER}/securityContext/allowPrivilegeEscalation"),
                Some(json!(true)),
            )
        }),
        ("automountServiceAccountToken", |d| {
            set(d, "/spec/template/spec/automountServiceAccountToken", Some(json!(true)))
        }),
    ];
    for (rule, break_it) in breaks {
        let mut broken = sets[0].docs.clone();
        break_it(deployment_mut(&mut broken));
        let problems = policy_problems(&broken).join("\n");
        assert!(
            problems.contains(rule),
            "the policy missed a broken {rule} in the base's Deployment; it said:\n{problems}"
        );
    }
}

// ---- How the objects hang together --------------------------------------------------------------

/// Whether a label selector (`matchLabels`, or a Service's `selector`) selects `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    selector
        .as_object()
        .is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| &labels[k.as_str()] == v))
}

fn env_var<'a>(container: &'a Value, name: &str) -> Option<&'a Value> {
    container["env"].as_array()?.iter().find(|e| e["name"] == name)
}

/// The volume mounted at `path` in the container.
fn mounted<'a>(container: &Value, pod: &'a Value, path: &str) -> Option<&'a Value> {
    let mount = container["volumeMounts"]
        .as_array()?
        .iter()
        .find(|m| m["mountPath"] == path)?;
    let name = mount["name"].as_str()?;
    pod["volumes"].as_array()?.iter().find(|v| v["name"] == name)
}

/// The value of a `key = value` line of a TOML file (top-level keys only, as schemareg's).
fn toml_value<'a>(toml: &'a str, key: &str) -> Option<&'a str> {
    toml.lines().find_map(|line| {
        let line = line.trim();
        if line.starts_with('#') {
            return None;
        }
        let (k, v) = line.split_once('=')?;
        if k.trim() == key { Some(v.trim()) } else { None }
    })
}

/// The text of every `schemareg.toml` in the ConfigMaps of `docs`.
fn config_files(docs: &[Value]) -> Vec<&str> {
    of_kind(docs, "ConfigMap")
        .filter_map(|d| d["data"]["schemareg.toml"].as_str())
        .collect()
}

/// How the objects hang together: the Service, PodDisruptionBudget and NetworkPolicy select
/// the Deployment's pods and its `http` port; the HPA, Ingress and ServiceMonitor name them;
/// SCHEMAREG_CONFIG is a file of a mounted ConfigMap of the set, which holds no secret; the
/// secrets come from a Secret; tokens have a key; /tmp is an emptyDir; the grace period
/// outlasts stopping (drain_delay_secs, then request_timeout_secs for requests in flight).
fn wiring_problems(docs: &[Value]) -> Vec<String> {
    let deployments: Vec<&Value> = of_kind(docs, "Deployment").collect();
    let [deployment] = deployments.as_slice() else {
        return vec![format!("one Deployment expected, {} found", deployments.len())];
    };
    let mut problems = Vec::new();
    let at = name_of(deployment);
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    let pod = &deployment["spec"]["template"]["spec"];
    if !selects(&deployment["spec"]["selector"]["matchLabels"], labels) {
        problems.push(format!("{at}: its selector does not select its own pods"));
    }
    let Some(container) = pod["containers"].as_array().and_then(|c| c.first()) else {
        problems.push(format!("{at}: no container"));
        return problems;
    };
    let port = container["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "http")
        .and_then(|p| p["containerPort"].as_u64());
    let Some(port) = port else {
        problems.push(format!("{at}: the container has no port named http"));
        return problems;
    };
    let is_http = |p: &Value| p == "http" || p.as_u64() == Some(port);

    let mut services = Vec::new();
    for service in of_kind(docs, "Service") {
        let at = name_of(service);
        services.push(service);
        if !selects(&service["spec"]["selector"], labels) {
            problems.push(format!("{at}: its selector does not select the Deployment's pods"));
        }
        for p in service["spec"]["ports"].as_array().into_iter().flatten() {
            if !is_http(&p["targetPort"]) {
                problems.push(format!(
                    "{at}: targetPort {} is not the container's http port ({port})",
                    p["targetPort"]
                ));
            }
        }
    }
    if services.is_empty() {
        problems.push("no Service".into());
    }
    for pdb in of_kind(docs, "PodDisruptionBudget") {
        if !selects(&pdb["spec"]["selector"]["matchLabels"], labels) {
            problems.push(format!(
                "{}: its selector does not select the Deployment's pods",
                name_of(pdb)
            ));
        }
    }
    for policy in of_kind(docs, "NetworkPolicy") {
        let at = name_of(policy);
        if !selects(&policy["spec"]["podSelector"]["matchLabels"], labels) {
            problems.push(format!("{at}: its podSelector does not select the Deployment's pods"));
        }
        for rule in policy["spec"]["ingress"].as_array().into_iter().flatten() {
            for p in rule["ports"].as_array().into_iter().flatten() {
                if !is_http(&p["port"]) {
                    problems.push(format!(
                        "{at}: lets in port {} instead of the container's {port}",
                        p["port"]
                    ));
                }
            }
        }
    }
    for hpa in of_kind(docs, "HorizontalPodAutoscaler") {
        if hpa["spec"]["scaleTargetRef"]["name"] != deployment["metadata"]["name"] {
            problems.push(format!("{}: scales another Deployment than {at}", name_of(hpa)));
        }
    }
    for ingress in of_kind(docs, "Ingress") {
        for rule in ingress["spec"]["rules"].as_array().into_iter().flatten() {
            for path in rule["http"]["paths"].as_array().into_iter().flatten() {
                let backend = &path["backend"]["service"];
                if !services.iter().any(|s| s["metadata"]["name"] == backend["name"]) {
                    problems.push(format!(
                        "{}: its backend {} is no Service of the set",
                        name_of(ingress),
                        backend["name"]
                    ));
                }
            }
        }
    }
    for monitor in of_kind(docs, "ServiceMonitor") {
        let selector = &monitor["spec"]["selector"]["matchLabels"];
        if !services.iter().any(|s| selects(selector, &s["metadata"]["labels"])) {
            problems.push(format!("{}: selects no Service of the set", name_of(monitor)));
        }
        for endpoint in monitor["spec"]["endpoints"].as_array().into_iter().flatten() {
            if endpoint["port"] != "http" || endpoint["path"] != "/metrics" {
                problems.push(format!("{}: scrape the port http at /metrics", name_of(monitor)));
            }
        }
    }

    // The configuration file: SCHEMAREG_CONFIG names a key of a mounted ConfigMap of the set.
    let file = env_var(container, "SCHEMAREG_CONFIG").and_then(|e| e["value"].as_str());
    let toml = file.and_then(|file| {
        let (dir, key) = file.rsplit_once('/')?;
        let name = mounted(container, pod, dir)?["configMap"]["name"].as_str()?;
        of_kind(docs, "ConfigMap").find(|d| d["metadata"]["name"] == name)?["data"][key].as_str()
    });
    let Some(toml) = toml else {
        problems.push(format!(
            "{at}: SCHEMAREG_CONFIG ({file:?}) is not a file of a ConfigMap of the set mounted in the container"
        ));
        return problems;
    };
    for key in SECRET_KEYS {
        if toml_value(toml, key).is_some() {
            problems.push(format!(
                "{at}: its schemareg.toml holds the secret {key}: read it from a Secret"
            ));
        }
    }
    for var in ["SCHEMAREG_STORE_URL", "SCHEMAREG_SCRATCH_URL", "SCHEMAREG_SECRET_KEY"] {
        if !env_var(container, var).is_some_and(|e| e["valueFrom"]["secretKeyRef"]["key"].is_string()) {
            problems.push(format!("{at}: {var} must come from a Secret (valueFrom.secretKeyRef)"));
        }
    }
    let public_keys: Vec<String> = toml_value(toml, "jwt_public_keys")
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or_default();
    let hs256 = env_var(container, "SCHEMAREG_JWT_HS256_SECRET")
        .is_some_and(|e| e["valueFrom"]["secretKeyRef"]["key"].is_string());
    if public_keys.is_empty() && !hs256 {
        problems.push(format!(
            "{at}: tokens have no key: neither SCHEMAREG_JWT_HS256_SECRET from a Secret nor jwt_public_keys \
             (each replica would make its own development key)"
        ));
    }
    for key in &public_keys {
        let dir = key.rsplit_once('/').map_or("", |(dir, _)| dir);
        if !mounted(container, pod, dir).is_some_and(|v| v["secret"].is_object()) {
            problems.push(format!("{at}: the public key {key} is not in a mounted Secret"));
        }
    }
    if !mounted(container, pod, "/tmp").is_some_and(|v| v["emptyDir"].is_object()) {
        problems.push(format!(
            "{at}: /tmp must be an emptyDir (the root filesystem is read-only)"
        ));
    }
    let seconds = |key: &str, default: u64| {
        toml_value(toml, key)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(default)
    };
    let (delay, timeout) = (seconds("drain_delay_secs", 5), seconds("request_timeout_secs", 30));
    let sleep = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        .as_u64()
        .unwrap_or(0);
    let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
    if grace <= sleep + delay + timeout {
        problems.push(format!(
            "{at}: terminationGracePeriodSeconds {grace} must exceed what stopping takes: a preStop sleep \
             ({sleep} s), drain_delay_secs ({delay} s) and request_timeout_secs ({timeout} s)"
        ));
    }
    problems
}

#[test]
fn objects_are_wired_together_and_broken_ones_are_not() {
    let sets = all_rendered();
    for rendered in &sets {
        let problems = wiring_problems(&rendered.docs);
        assert!(
            problems.is_empty(),
            "{}: the objects do not fit together:\n{}",
            rendered.source,
            problems.join("\n")
        );
    }

    let base = &sets[0].docs;
    let mut broken = base.clone();
    for doc in broken.iter_mut().filter(|d| d["kind"] == "Service") {
        set(
            doc,
            "/spec/selector/app.kubernetes.io~1component",
            Some(json!("worker")),
        );
    }
    let problems = wiring_problems(&broken).join("\n");
    assert!(
        problems.contains("Service/"),
        "a Service selecting no pod passed:\n{problems}"
    );

    let mut broken = base.clone();
    set(
        deployment_mut(&mut broken),
        "/spec/template/spec/terminationGracePeriodSeconds",
        Some(json!(10)),
    );
    let problems = wiring_problems(&broken).join("\n");
    assert!(
        problems.contains("terminationGracePeriodSeconds"),
        "a grace period shorter than the drain passed:\n{problems}"
    );

    let mut broken = base.clone();
    set(
        deployment_mut(&mut broken),
        &format!("{CONTAINER}/env"),
        Some(json!([{"name": "SCHEMAREG_CONFIG", "value": "/etc/schemareg/schemareg.toml"}])),
    );
    let problems = wiring_problems(&broken).join("\n");
    for var in ["SCHEMAREG_STORE_URL", "tokens have no key"] {
        assert!(
            problems.contains(var),
            "a Deployment without secrets passed ({var}):\n{problems}"
        );
    }
}

// ---- The configuration files --------------------------------------------------------------------

/// The keys of the registry's configuration, from `const KEYS` in config.rs.
fn config_keys() -> BTreeSet<String> {
    let source = read("services/registry/src/config.rs");
    let list = source
        .split_once("const KEYS")
        .and_then(|(_, rest)| rest.split_once("= ["))
        .and_then(|(_, rest)| rest.split_once("];"))
        .map(|(list, _)| list)
        .expect("config.rs lists the configuration's keys as `const KEYS: [&str; N] = [ … ];`");
    list.split(',')
        .map(|k| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty())
        .collect()
}

/// `schemareg token` with a configuration file: it loads the file as `serve` does (unknown
/// keys, types, bounds) and needs nothing else than an HS256 secret.
fn load_config(toml: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schemareg.toml");
    std::fs::write(&file, toml).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemareg"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("SCHEMAREG_") {
            cmd.env_remove(key);
        }
    }
    cmd.args(["token", "--subject", "deploy-check", "--role", "admin", "--config"])
        .arg(file)
        .env("SCHEMAREG_JWT_HS256_SECRET", "a-deployment-check-secret-0123456789")
        .current_dir(dir.path());
    run(&mut cmd, "schemareg token")
}

#[test]
fn configuration_files_load_and_hold_every_key() {
    for rendered in all_rendered() {
        let files = config_files(&rendered.docs);
        assert!(
            !files.is_empty(),
            "{}: no ConfigMap with schemareg.toml",
            rendered.source
        );
        for toml in files {
            let out = load_config(toml);
            assert!(
                out.status.success(),
                "{}: its schemareg.toml does not load with the registry's configuration:\n{}\n{toml}",
                rendered.source,
                printed(&out)
            );
        }
    }
    let base = read("deploy/kubernetes/base/schemareg.toml");
    let out = load_config(&format!("{base}\nbogus_key = 1\n"));
    assert!(
        !out.status.success() && printed(&out).contains("bogus_key"),
        "an unknown key was accepted:\n{}",
        printed(&out)
    );

    // Every key of the configuration, and no other: in the chart's values, its schema, and the
    // base's file (which leaves out the secrets, and public_url, set by the overlay).
    let keys = config_keys();
    let values = yaml_doc(&chart_dir().join("values.yaml"));
    let schema: Value = serde_json::from_str(&read("helm/schemareg/values.schema.json")).unwrap();
    let object_keys =
        |v: &Value| -> BTreeSet<String> { v.as_object().into_iter().flatten().map(|(k, _)| k.clone()).collect() };
    assert_eq!(
        object_keys(&values["config"]),
        keys,
        "helm/schemareg/values.yaml `config` holds the keys of `Config` (config.rs)"
    );
    assert_eq!(
        object_keys(&schema["properties"]["config"]["properties"]),
        keys,
        "helm/schemareg/values.schema.json describes the keys of `Config` (config.rs)"
    );
    let mut base_keys: BTreeSet<String> = base
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
        .collect();
    base_keys.extend(SECRET_KEYS.iter().map(|k| k.to_string()));
    base_keys.insert("public_url".into());
    assert_eq!(
        base_keys, keys,
        "deploy/kubernetes/base/schemareg.toml sets every key of `Config` but the secrets and public_url"
    );
}

// ---- The kustomizations --------------------------------------------------------------------------

/// Mebibytes of a memory quantity such as 512Mi or 2Gi.
fn mebibytes(quantity: &Value) -> Option<u64> {
    let q = quantity.as_str()?;
    if let Some(n) = q.strip_suffix("Gi") {
        return n.parse::<u64>().ok().map(|n| n * 1024);
    }
    q.strip_suffix("Mi")?.parse().ok()
}

#[test]
fn the_production_overlay_scales_and_sizes_up_and_the_secret_stays_out() {
    let base = kustomize(KUSTOMIZATIONS[0]);
    let production = kustomize(KUSTOMIZATIONS[1]);
    let base_deployment = of_kind(&base.docs, "Deployment")
        .next()
        .expect("a Deployment in the base");
    let deployment = of_kind(&production.docs, "Deployment")
        .next()
        .expect("a Deployment in production");
    assert_eq!(base_deployment["spec"]["replicas"], 2, "the base runs 2 replicas");
    assert_eq!(deployment["spec"]["replicas"], 3, "production runs 3 replicas");
    for bound in ["requests", "limits"] {
        let memory =
            |d: &Value| mebibytes(&d["spec"]["template"]["spec"]["containers"][0]["resources"][bound]["memory"]);
        assert!(
            memory(deployment) > memory(base_deployment),
            "production's memory {bound} is larger than the base's"
        );
    }
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert!(
        env_var(container, "SCHEMAREG_PUBLIC_URL")
            .and_then(|e| e["value"].as_str())
            .is_some_and(|url| url.starts_with("https://")),
        "production sets SCHEMAREG_PUBLIC_URL to an https:// address"
    );
    for doc in &production.docs {
        assert!(
            doc["metadata"]["namespace"].is_string(),
            "{}: production puts every object in a namespace",
            name_of(doc)
        );
    }
    assert!(
        !base.docs.iter().chain(&production.docs).any(|d| d["kind"] == "Secret"),
        "no Secret is rendered: it is made outside the kustomizations"
    );

    // The example Secret: outside the kustomization, with exactly the keys the Deployment reads.
    let kustomization = yaml_doc(&repo().join("deploy/kubernetes/base/kustomization.yaml"));
    let resources: Vec<&str> = kustomization["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        !resources.contains(&"secret.example.yaml"),
        "deploy/kubernetes/base/kustomization.yaml must not list secret.example.yaml"
    );
    let example = yaml_doc(&repo().join("deploy/kubernetes/base/secret.example.yaml"));
    assert_eq!(example["kind"], "Secret", "secret.example.yaml is a Secret");
    let example_keys: BTreeSet<&str> = example["stringData"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .collect();
    let base_container = &base_deployment["spec"]["template"]["spec"]["containers"][0];
    let read_keys: BTreeSet<&str> = base_container["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["valueFrom"]["secretKeyRef"]["name"] == example["metadata"]["name"])
        .filter_map(|e| e["valueFrom"]["secretKeyRef"]["key"].as_str())
        .collect();
    assert_eq!(
        example_keys, read_keys,
        "deploy/kubernetes/base/secret.example.yaml holds the keys the Deployment reads from it"
    );
}

// ---- The Helm chart --------------------------------------------------------------------------------

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
