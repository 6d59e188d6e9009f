//! A dashboard author's view: a TypeScript client generated from `openapi/openapi.json` with
//! openapi-typescript (npm), and a small typed script that lists the overview and a plan's
//! steps, compile with `tsc --noEmit --strict`; the same script, run by node against the real
//! server, prints them.

use std::path::Path;
use std::process::Command;

use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

use crate::served::{Served, call};

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed:\n{text}");
    text
}

fn bin(project: &Path, tool: &str) -> std::path::PathBuf {
    project.join("node_modules/.bin").join(tool)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_generated_typescript_client_compiles_strictly_and_reads_the_server() {
    let here = crate::common::repo().join("services/registry/tests/registry/clients");
    let manifest = std::fs::read_to_string(here.join("package.json")).unwrap();
    let project = super::tools::npm_project("ts-client", &manifest);
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(here.join("dashboard.ts"), work.path().join("dashboard.ts")).unwrap();
    run(
        Command::new(bin(&project, "openapi-typescript"))
            .arg(crate::common::repo().join("openapi/openapi.json"))
            .arg("--output")
            .arg(work.path().join("schema.d.ts")),
        "openapi-typescript",
    );
    let tsc = |extra: &[&str]| {
        let mut cmd = Command::new(bin(&project, "tsc"));
        cmd.args([
            "--strict",
            "--target",
            "es2022",
            "--module",
            "commonjs",
            "--lib",
            "es2022,dom",
        ])
        .args(["--types", "node", "--typeRoots"])
        .arg(project.join("node_modules/@types"))
        .args(extra)
        .arg("dashboard.ts")
        .current_dir(work.path());
        cmd
    };
    run(&mut tsc(&["--noEmit"]), "tsc --noEmit --strict");

    // Run against the real server: a service, a version, a database, a plan.
    let live = TestDb::new().await;
    let server = Served::start(&[]).await;
    let base = format!("http://127.0.0.1:{}", server.port);
    assert_eq!(
        call(&base, "POST", "/v1/services", Some(&json!({"name": "shop"}))).0,
        201
    );
    let ddl = "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);";
    let pushed = crate::served::call_raw(&base, "POST", "/v1/services/shop/versions", "application/sql", ddl);
    assert_eq!(pushed.0, 201, "{}", pushed.1);
    let bound = call(
        &base,
        "PUT",
        "/v1/services/shop/environments/dev",
        Some(&json!({"database_url": live.url()})),
    );
    assert_eq!(bound.0, 201, "{}", bound.1);
    let (status, plan) = call(
        &base,
        "POST",
        "/v1/services/shop/environments/dev/plans",
        Some(&json!({})),
    );
    assert_eq!(status, 201, "{plan}");
    let id = plan["id"].as_str().unwrap();
    run(&mut tsc(&["--outDir", "out"]), "tsc");
    let printed = run(
        Command::new("node")
            .arg(work.path().join("out/dashboard.js"))
            .args([&base, &crate::served::token(), id]),
        "node dashboard.js",
    );
    assert!(printed.contains("shop dev: latest 1, verified -"), "{printed}");
    assert!(
        printed.contains("approved #1 create table public.items [] lock"),
        "{printed}"
    );
    let _: Value = plan;
}
