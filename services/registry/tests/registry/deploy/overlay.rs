//! The kustomizations: the production overlay.

use super::wiring::env_var;
use super::*;

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
