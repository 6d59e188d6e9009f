//! The plan corpus (`tests/fixtures/corpus.txt`): for every case, in both directions, the
//! plan is verified in a scratch database (FROM rebuilt, the plan applied and compared with
//! TO, the rollback applied and compared with FROM); the same is done with psql applying the
//! scripts as they are printed; every schema has no false positives (against itself, its
//! `pg_dump --schema-only` re-ingested, its JSON rebuilt by PostgreSQL); and the reviewed
//! plans are golden files (`tests/snapshots/corpus__*.snap`).

use crate::common::*;
use futures_util::{StreamExt, stream};
use schemareg_adapters::introspect::introspect;
use schemareg_adapters::testing::TestDb;
use schemareg_adapters::testing::scratch;
use schemareg_adapters::verify::verify;
use schemareg_engine::plan::{PlanOptions, ScriptOptions, plan, render_rollback_script, render_script};
use schemareg_engine::{Scope, Snapshot, digest};

async fn live(db: &TestDb) -> Snapshot {
    Scope::default().apply(introspect(&db.client().await).await.unwrap().0)
}

fn psql(db: &TestDb, script: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.sql");
    std::fs::write(&path, script).unwrap();
    let out = std::process::Command::new(schemareg_adapters::scratch::find_bindir().unwrap().join("psql"))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&path)
        .arg(db.url())
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

/// FROM built with psql from its snapshot, the plan and its rollback applied with psql, and
/// the no-false-positive checks on the way.
async fn with_psql(a: &Snapshot, b: &Snapshot) -> Result<(), String> {
    let db = TestDb::new().await;
    let options = ScriptOptions::default();
    let build = plan(&live(&db).await, a, &PlanOptions::default());
    psql(&db, &render_script(&build, &options)).map_err(|e| format!("building FROM: {e}"))?;
    if digest(&live(&db).await) != digest(a) {
        return Err("FROM built from its snapshot differs from FROM".into());
    }
    let dumped = ingested(&pg_dump(&db), "pg_dump").await;
    if digest(&dumped) != digest(a) {
        return Err("pg_dump --schema-only re-ingested differs (a false positive)".into());
    }
    let rebuilt = schemareg_adapters::verify::rebuild(&scratch().await, &Scope::default(), a)
        .await
        .map_err(|e| e.to_string())?;
    if digest(&rebuilt) != digest(a) {
        return Err("the JSON rebuilt by PostgreSQL differs (a false positive)".into());
    }
    let p = plan(a, b, &PlanOptions::default());
    psql(&db, &render_script(&p, &options)).map_err(|e| format!("the plan with psql: {e}"))?;
    let after = live(&db).await;
    let left = plan(&after, b, &PlanOptions::default());
    if !left.is_empty() {
        return Err(format!(
            "after the plan with psql: {:?}",
            left.steps.iter().map(|s| &s.description).collect::<Vec<_>>()
        ));
    }
    psql(&db, &render_rollback_script(&p, &options)).map_err(|e| format!("the rollback with psql: {e}"))?;
    let back = plan(&live(&db).await, a, &PlanOptions::default());
    if !back.is_empty() {
        return Err(format!(
            "after the rollback with psql: {:?}",
            back.steps.iter().map(|s| &s.description).collect::<Vec<_>>()
        ));
    }
    Ok(())
}

struct Case {
    name: String,
    from: String,
    to: String,
}

fn cases() -> Vec<Case> {
    let text = read(&fixture("corpus.txt"));
    text.split("\n## ")
        .map(|b| b.trim_start_matches("## "))
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let (name, body) = block.split_once('\n').unwrap();
            let (from, to) = body
                .split_once("\n----\n")
                .unwrap_or_else(|| panic!("{name}: no ---- line"));
            Case {
                name: name.trim().to_string(),
                from: from.to_string(),
                to: to.to_string(),
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_corpus_plan_applies_reaches_its_target_and_rolls_back() {
    let cases = cases();
    assert!(cases.len() >= 100, "{} cases", cases.len());
    let results: Vec<(String, String, Vec<String>)> = stream::iter(cases)
        .map(|c| async move {
            let server = scratch().await;
            let from = ingested(&c.from, &format!("{} (from)", c.name)).await;
            let to = ingested(&c.to, &format!("{} (to)", c.name)).await;
            let mut problems = Vec::new();
            if digest(&from) == digest(&to) {
                problems.push("FROM and TO are the same schema".to_string());
            }
            let mut golden = String::new();
            for (direction, a, b) in [("forward", &from, &to), ("backward", &to, &from)] {
                let p = plan(a, b, &PlanOptions::default());
                if p.is_empty() {
                    problems.push(format!("{direction}: empty plan"));
                    continue;
                }
                // No false positives: each side against itself.
                if !plan(a, a, &PlanOptions::default()).is_empty() {
                    problems.push(format!("{direction}: FROM differs from itself"));
                }
                let script = render_script(&p, &ScriptOptions::default());
                golden.push_str(&format!(
                    "==== {direction} ====\n{}\n",
                    script.split("\n\n").skip(1).collect::<Vec<_>>().join("\n\n")
                ));
                match verify(&server, &Scope::default(), a, b, &p).await {
                    Ok(v) if v.passed() => {}
                    Ok(v) => problems.push(format!("{direction}: {}\n{script}", v.summary())),
                    Err(e) => problems.push(format!("{direction}: {e}")),
                }
                if let Err(e) = with_psql(a, b).await {
                    problems.push(format!("{direction} (psql): {e}\n{script}"));
                }
            }
            (c.name, golden, problems)
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let mut failed = Vec::new();
    for (name, _, problems) in &results {
        if !problems.is_empty() {
            failed.push(format!("{name}:\n  {}", problems.join("\n  ")));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        results.len(),
        failed.join("\n\n")
    );
    let mut results = results;
    results.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, golden, _) in results {
        insta::assert_snapshot!(format!("corpus_{name}"), golden);
    }
}
