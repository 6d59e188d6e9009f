//! The configuration files the manifests and the chart carry.

use super::wiring::config_files;
use super::*;

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
    // Unset unless a deployment says otherwise: the registry's own address, and a retention
    // of the audit log (kept for good).
    base_keys.extend(["public_url".to_string(), "audit_retention_days".to_string()]);
    assert_eq!(
        base_keys, keys,
        "deploy/kubernetes/base/schemareg.toml sets every key of `Config` but the secrets, public_url and \
         audit_retention_days"
    );
}
