//! The pipeline client (`schemareg push | plan | apply | approve | report | status | wait`)
//! against the real binary serving on a socket: LOG-158 from push to verified in dev (through
//! `deploy/ci/schemareg.sh commit`), staging (command by command) and production (through
//! `deploy/ci/schemareg.sh release` while approvers approve), each exit code from a real
//! situation, and a pipeline that applies a plan itself and reports it.

use std::path::Path;
use std::process::{Command, Output};

use schemareg::auth::Role;
use serde_json::{Value, json};

use crate::common::*;
use crate::served::{Served, call, signed_with, token_as as token_for};

/// The client as a pipeline runs it: registry and token from the environment.
fn client(base: &str, token: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemareg"))
        .args(args)
        .env("SCHEMAREG_URL", base)
        .env("SCHEMAREG_TOKEN", token)
        .env("SCHEMAREG_RETRY_FOR", "2s")
        .env_remove("SCHEMAREG_SCRATCH_URL")
        .output()
        .expect("run schemareg")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[track_caller]
fn exits(o: &Output, code: i32) -> String {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        out(o),
        stderr(o)
    );
    out(o)
}

/// `deploy/ci/schemareg.sh` run as it is, with `schemareg` on the PATH.
fn script(base: &str, token: &str, stage: &str, extra: &[(&str, &str)]) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_schemareg")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new(repo().join("deploy/ci/schemareg.sh"));
    cmd.arg(stage)
        .current_dir(repo())
        .env("PATH", path)
        .env("SCHEMAREG_URL", base)
        .env("SCHEMAREG_TOKEN", token)
        .env("SCHEMAREG_SERVICE", "log158")
        .env("SCHEMAREG_SCHEMA", fixture("log158_models.sql"))
        .env("COMMIT_SHA", "0123abc")
        .env("PIPELINE_URL", "https://ci.example/runs/1")
        .env_remove("SCHEMAREG_SCRATCH_URL");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn pending(base: &str, environment: &str) -> Option<String> {
    let (_, list) = call(
        base,
        "GET",
        &format!("/v1/services/log158/plans?environment={environment}&state=pending_approval"),
        None,
    );
    list["items"][0]["id"].as_str().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pipeline_walks_log158_to_production_and_each_exit_code_means_one_thing() {
    let served = Served::start(&[]).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    let ci = token_for("ci", &[Role::Publisher, Role::Deployer]);
    let alice = token_for("alice", &[Role::Approver]);
    let bob = token_for("bob", &[Role::Approver]);
    let root = token_for("root", &[Role::Admin]);

    let (status, _) = call(
        &base,
        "POST",
        "/v1/services",
        Some(&json!({"name": "log158", "scope": {"presets": ["supabase"]}})),
    );
    assert_eq!(status, 201);
    let live = read(&live_before());
    let dbs = [loaded(&live).await, loaded(&live).await, loaded(&live).await];
    for (env, db) in ["dev", "staging", "production"].iter().zip(&dbs) {
        let (status, body) = call(
            &base,
            "PUT",
            &format!("/v1/services/log158/environments/{env}"),
            Some(&json!({"database_url": db.url(), "scope": {"presets": ["supabase"]}})),
        );
        assert_eq!(status, 201, "{body}");
    }

    // Exit 2: a mistake the person can mend; 3: a forged token; 5: no registry there.
    let o = Command::new(env!("CARGO_BIN_EXE_schemareg"))
        .args(["status", "log158"])
        .env_remove("SCHEMAREG_URL")
        .env_remove("SCHEMAREG_TOKEN")
        .output()
        .unwrap();
    exits(&o, 2);
    assert!(stderr(&o).contains("--registry URL or SCHEMAREG_URL"), "{}", stderr(&o));
    exits(&client(&base, &ci, &["status", "no-such-service"]), 2);
    let forged = signed_with(
        "another-secret-that-is-long-enough-0123456789",
        "mallory",
        &[Role::Admin],
    );
    let o = client(&base, &forged, &["status", "log158"]);
    exits(&o, 3);
    assert!(stderr(&o).contains("401"), "{}", stderr(&o));
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let o = client(&nowhere, &ci, &["status", "log158"]);
    exits(&o, 5);
    assert!(stderr(&o).contains("does not answer"), "{}", stderr(&o));

    // dev, by the shell example: push, plan, apply, verified.
    let o = script(&base, &ci, "commit", &[]);
    let text = exits(&o, 0);
    assert!(
        text.contains("log158 version 1 sha256:") && text.contains("(new)"),
        "{text}"
    );
    assert!(text.contains(": verified"), "{text}");
    let o = client(
        &base,
        &ci,
        &["push", "log158", fixture("log158_models.sql").to_str().unwrap()],
    );
    assert!(exits(&o, 0).contains("already there"), "{}", out(&o));
    let (_, versions) = call(&base, "GET", "/v1/services/log158/versions", None);
    assert_eq!(versions["items"][0]["commit"], "0123abc");
    assert_eq!(versions["items"][0]["pipeline_url"], "https://ci.example/runs/1");

    // staging, command by command: the plan waits for an approver (exit 1) and reads as a
    // review; waiting past the timeout is exit 4; the requester may not approve (3).
    let o = client(&base, &ci, &["plan", "log158", "staging", "--wait"]);
    let review = exits(&o, 1);
    assert!(review.contains("state: pending_approval"), "{review}");
    assert!(review.contains("! drops_object:"), "{review}");
    assert!(review.contains("[lock "), "{review}");
    let id = pending(&base, "staging").expect("a plan waits in staging");
    assert!(
        review.starts_with(&format!("plan {id} for log158 in staging: version 1")),
        "{review}"
    );
    let status = exits(&client(&base, &ci, &["status", "log158"]), 1);
    assert!(status.contains(&id), "{status}");
    let o = client(
        &base,
        &ci,
        &["wait", "log158", "staging", "--for", "approved", "--timeout", "2s"],
    );
    exits(&o, 4);
    assert!(stderr(&o).contains("pending_approval"), "{}", stderr(&o));
    let o = client(&base, &ci, &["approve", &id]);
    exits(&o, 3);
    assert!(
        stderr(&o).contains("403") || stderr(&o).contains("409"),
        "{}",
        stderr(&o)
    );
    let o = client(&base, &alice, &["approve", &id, "--comment", "read the drops"]);
    assert!(exits(&o, 0).contains("approved"), "{}", out(&o));
    exits(
        &client(&base, &ci, &["wait", "log158", "staging", "--for", "approved"]),
        0,
    );
    let o = client(&base, &ci, &["apply", &id]);
    assert!(exits(&o, 0).contains(": verified"), "{}", out(&o));

    // production, by the shell example, while two approvers and an admin approve.
    let (b, t) = (base.clone(), ci.clone());
    let release = std::thread::spawn(move || script(&b, &t, "release", &[("SCHEMAREG_RELEASE_ENV", "production")]));
    let mut id = None;
    for _ in 0..600 {
        id = pending(&base, "production");
        if id.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let id = id.expect("the release plans for production");
    exits(&client(&base, &alice, &["approve", &id]), 1);
    exits(&client(&base, &bob, &["approve", &id]), 1);
    exits(
        &client(
            &base,
            &root,
            &["approve", &id, "--comment", "the dropped types are unused"],
        ),
        0,
    );
    let o = release.join().unwrap();
    assert!(exits(&o, 0).contains(": verified"), "{}", out(&o));
    assert!(
        stderr(&o).contains("pending_approval") && stderr(&o).contains("approved"),
        "{}",
        stderr(&o)
    );

    let status = exits(&client(&base, &ci, &["status", "log158"]), 0);
    for env in ["dev", "staging", "production"] {
        let row = status
            .lines()
            .find(|l| l.starts_with(env))
            .unwrap_or_else(|| panic!("{status}"));
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(&cells[1..5], ["1", "1", "1", "in_sync"], "{status}");
    }

    // A pipeline that applies the plan itself and reports it.
    let models = format!(
        "{}\nCREATE TABLE public.note (id bigint PRIMARY KEY);\n",
        read(&fixture("log158_models.sql"))
    );
    let dir = tempfile::tempdir().unwrap();
    let v2 = dir.path().join("v2.sql");
    std::fs::write(&v2, models).unwrap();
    exits(
        &client(
            &base,
            &ci,
            &["push", "log158", v2.to_str().unwrap(), "--label", "team=data"],
        ),
        0,
    );
    let o = client(&base, &ci, &["plan", "log158", "dev", "--wait", "--format", "json"]);
    let plan: Value = serde_json::from_str(&exits(&o, 0)).unwrap();
    let sql = plan["sql"].as_str().unwrap();
    assert!(sql.contains("CREATE TABLE \"public\".\"note\""), "{sql}");
    let psql = schemareg_adapters::scratch::find_bindir().unwrap().join("psql");
    let script = dir.path().join("plan.sql");
    std::fs::write(&script, sql).unwrap();
    let applied = Command::new(psql)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&script)
        .arg(dbs[0].url())
        .output()
        .unwrap();
    assert!(applied.status.success(), "{}", stderr(&applied));
    let o = client(
        &base,
        &ci,
        &[
            "report",
            plan["id"].as_str().unwrap(),
            "applied",
            "--message",
            "deploy #2",
        ],
    );
    assert!(exits(&o, 0).contains(": verified"), "{}", out(&o));
}
