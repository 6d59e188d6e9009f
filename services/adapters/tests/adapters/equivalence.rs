//! Equal schemas, equal digests: pairs of DDL that PostgreSQL stores as the same schema give
//! the same digest, and pairs that really differ give different digests
//! (`tests/fixtures/equivalence.txt`).

use futures_util::{StreamExt, stream};
use schemareg_adapters::testing::fixtures::*;
use schemareg_engine::digest;

#[derive(Debug)]
struct Case {
    same: bool,
    name: String,
    a: String,
    b: String,
}

fn cases() -> Vec<Case> {
    let text = read(&fixture("equivalence.txt"));
    let mut out = Vec::new();
    for block in text.split("\n## ").map(|b| b.trim_start_matches("## ")) {
        let Some((header, body)) = block.split_once('\n') else {
            continue;
        };
        let (kind, name) = header
            .split_once(':')
            .unwrap_or_else(|| panic!("bad header {header:?}"));
        let same = match kind.trim() {
            "same" => true,
            "differ" => false,
            _ => continue,
        };
        let (a, b) = body
            .split_once("\n----\n")
            .unwrap_or_else(|| panic!("{name}: no ---- line"));
        out.push(Case {
            same,
            name: name.trim().to_string(),
            a: a.to_string(),
            b: b.to_string(),
        });
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn equal_schemas_have_equal_digests_and_different_ones_do_not() {
    let cases = cases();
    let same = cases.iter().filter(|c| c.same).count();
    let differ = cases.len() - same;
    assert!(
        same >= 30 && differ >= 15,
        "the table holds {same} same and {differ} differ cases"
    );

    let results: Vec<(String, bool, bool, String)> = stream::iter(cases)
        .map(|c| async move {
            let a = ingested(&c.a, &format!("{} (a)", c.name)).await;
            let b = ingested(&c.b, &format!("{} (b)", c.name)).await;
            let equal = digest(&a) == digest(&b);
            let shown = if equal == c.same {
                String::new()
            } else {
                format!(
                    "a: {}\nb: {}",
                    serde_json::to_string(&a).unwrap(),
                    serde_json::to_string(&b).unwrap()
                )
            };
            (c.name, c.same, equal, shown)
        })
        .buffer_unordered(6)
        .collect()
        .await;
    let wrong: Vec<String> = results
        .iter()
        .filter(|(_, same, equal, _)| same != equal)
        .map(|(name, same, _, shown)| {
            format!(
                "{name}: expected {}\n{shown}",
                if *same { "equal digests" } else { "different digests" }
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}",
        wrong.len(),
        results.len(),
        wrong.join("\n\n")
    );
}
