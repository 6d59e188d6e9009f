//! The plan corpus (`tests/fixtures/corpus.txt`): for every case, in both directions, the
//! plan is verified in a scratch database (FROM rebuilt, the plan applied and compared with
//! TO, the rollback applied and compared with FROM), and the reviewed plans are golden files
//! (`tests/snapshots/corpus__*.snap`).

mod common;

use common::*;
use futures_util::{StreamExt, stream};
use schemareg_adapters::testing::scratch;
use schemareg_adapters::verify::verify;
use schemareg_engine::plan::{PlanOptions, ScriptOptions, plan, render_script};
use schemareg_engine::{Scope, digest};

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
