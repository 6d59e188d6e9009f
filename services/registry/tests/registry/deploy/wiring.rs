//! How the objects hang together.

use super::*;

/// Whether a label selector (`matchLabels`, or a Service's `selector`) selects `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    selector
        .as_object()
        .is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| &labels[k.as_str()] == v))
}

pub(super) fn env_var<'a>(container: &'a Value, name: &str) -> Option<&'a Value> {
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
pub(super) fn config_files(docs: &[Value]) -> Vec<&str> {
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
