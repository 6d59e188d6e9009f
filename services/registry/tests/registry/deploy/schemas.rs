//! The manifests against the Kubernetes API schemas.

use super::*;

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
