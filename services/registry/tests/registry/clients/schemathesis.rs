//! schemathesis (PyPI) against `schemareg serve` on loopback, with the committed document:
//! every phase (examples, coverage, fuzzing, stateful), the checks that answers stay inside the
//! document, no server error. The databases it may bind and apply plans to are the test's own:
//! the example binding names `env:SCHEMAREG_DB_BILLING_DEV`, set to a database made here, and
//! `allowed_databases` lets no generated URL reach any other.

use std::process::Command;

use schemareg_adapters::testing::TestDb;

use crate::served::{Served, call, token};

const CHECKS: &str = "not_a_server_error,response_schema_conformance,status_code_conformance,\
                      content_type_conformance,response_headers_conformance";

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_answer_outside_the_document() {
    let bin = super::tools::python_bin();
    let live = TestDb::new().await;
    live.execute("CREATE TABLE legacy (id int PRIMARY KEY, note text);")
        .await;
    let allowed = format!("[\"*/{}\"]", live.name);
    let server = Served::start(&[
        ("SCHEMAREG_DB_BILLING_DEV", &live.url()),
        ("SCHEMAREG_ALLOWED_DATABASES", &allowed),
    ])
    .await;
    let here = crate::common::repo().join("services/registry/tests/registry/clients");
    let reports = tempfile::tempdir().unwrap();
    let out = Command::new(bin.join("schemathesis"))
        .arg("run")
        .arg(crate::common::repo().join("openapi/openapi.json"))
        .args(["--url", &format!("http://127.0.0.1:{}", server.port)])
        .args(["-H", &format!("Authorization: Bearer {}", token())])
        .args(["--checks", CHECKS])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args([
            "--max-time",
            "320",
            "--workers",
            "1",
            "--seed",
            "20261125",
            "--no-color",
        ])
        .args(["--generation-database", "none", "--request-timeout", "40"])
        .arg("--report-dir")
        .arg(reports.path())
        .env("PYTHONPATH", &here)
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .current_dir(reports.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let summary: String = text
        .lines()
        .rev()
        .take(40)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    eprintln!("{summary}");
    assert!(out.status.success(), "schemathesis found failures:\n{text}");
    assert!(text.contains("Stateful"), "the stateful phase did not run:\n{summary}");
    // How far the run got: what the registry recorded doing.
    let base = format!("http://127.0.0.1:{}", server.port);
    let mut actions = std::collections::BTreeMap::<String, usize>::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = call(&base, "GET", &format!("/v1/audit?limit=100{cursor}"), None);
        assert_eq!(status, 200, "{page}");
        for e in page["items"].as_array().unwrap() {
            *actions
                .entry(format!(
                    "{} {}",
                    e["action"].as_str().unwrap(),
                    e["outcome"].as_str().unwrap()
                ))
                .or_default() += 1;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    eprintln!("schemathesis drove the registry to: {actions:?}");
    for done in [
        "service.create ok",
        "version.push ok",
        "binding.put ok",
        "plan.create ok",
    ] {
        assert!(actions.contains_key(done), "the run never reached {done}: {actions:?}");
    }
}
