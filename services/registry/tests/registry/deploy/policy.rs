//! The workload policy.

use super::image::pinned;
use super::*;

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
