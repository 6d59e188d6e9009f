//! The CI files of `deploy/ci/` a service copies: the GitHub Actions workflow and the GitLab CI
//! job pass their platforms' schemas (check-jsonschema's vendored copies, no network), and the
//! shell script is valid POSIX sh that both call. (The script itself runs in `client.rs`.)

use std::process::Command;

use crate::clients::tools::python_bin;
use crate::common::repo;

#[test]
fn github_and_gitlab_files_pass_their_schemas() {
    let bin = python_bin();
    for (schema, file) in [
        ("vendor.github-workflows", "deploy/ci/github-actions.yml"),
        ("vendor.gitlab-ci", "deploy/ci/gitlab-ci.yml"),
    ] {
        let out = Command::new(bin.join("check-jsonschema"))
            .args(["--builtin-schema", schema])
            .arg(repo().join(file))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{file} against {schema}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(repo().join(file)).unwrap();
        assert!(
            text.contains("deploy/ci/schemareg.sh"),
            "{file} calls the shared script"
        );
        assert!(!text.contains("--token"), "{file} never puts a token on a command line");
    }
}

#[test]
fn the_script_is_posix_sh() {
    let out = Command::new("sh")
        .arg("-n")
        .arg(repo().join("deploy/ci/schemareg.sh"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(repo().join("deploy/ci/schemareg.sh")).unwrap();
    assert!(text.starts_with("#!/bin/sh\n"));
    assert!(!text.contains("[["), "no bashisms");
}
