//! The Dockerfile: hadolint, and what the image must be.

use super::*;

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

pub(super) fn pinned(image: &str) -> bool {
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

/// Files outside `services/` that the sources compile in (`include_str!`/`include_bytes!`),
/// relative to the repository.
fn compiled_in_from_outside() -> Vec<String> {
    let root = repo().canonicalize().unwrap();
    let mut outside = std::collections::BTreeSet::new();
    for file in glob::glob(&format!("{}/services/*/src/**/*.rs", root.display())).unwrap() {
        let file = file.unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        for macro_call in ["include_str!(\"", "include_bytes!(\""] {
            for part in text.split(macro_call).skip(1) {
                let relative = &part[..part.find('"').unwrap()];
                let path = file.parent().unwrap().join(relative).canonicalize().unwrap();
                if !path.starts_with(root.join("services")) {
                    outside.insert(path.strip_prefix(&root).unwrap().display().to_string());
                }
            }
        }
    }
    outside.into_iter().collect()
}

#[test]
fn what_the_sources_compile_in_from_outside_services_is_in_the_image_build() {
    let outside = compiled_in_from_outside();
    assert!(
        outside.iter().any(|p| p == "tests/fixtures/log158_models.sql"),
        "the demo's models are found: {outside:?}"
    );
    let ignore = read("deploy/Dockerfile.dockerignore");
    let dockerfile = read("deploy/Dockerfile");
    let copied: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
        .flat_map(|l| l.split_whitespace().skip(1))
        .collect();
    for path in &outside {
        assert!(
            ignore.lines().any(|l| l.trim() == format!("!{path}")),
            "deploy/Dockerfile.dockerignore must let {path} into the build context (a source compiles it in)"
        );
        assert!(
            copied.contains(&path.as_str()),
            "deploy/Dockerfile must COPY {path} (a source compiles it in)"
        );
    }
}
