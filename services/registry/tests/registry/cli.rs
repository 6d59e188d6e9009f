//! The `schemareg snapshot` command: output, exit codes, and bad input (exit 2, a message a
//! person can act on, no scratch database left behind).

use crate::common::*;
use schemareg_adapters::testing::databases_like;

/// The start of the names of the scratch databases these tests' runs make.
const PREFIX: &str = "cli_snapshot_";

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_command_end_to_end_and_bad_input() {
    let live = live_before().display().to_string();

    // Success: JSON by default, the digest with --digest, the same for a URL and a .sql file.
    let ok = schemareg_in(PREFIX, &["snapshot", &live, "--preset", "supabase"], true);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let snap: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(snap["format"], 1);
    let digest = schemareg_in(PREFIX, &["snapshot", &live, "--preset", "supabase", "--digest"], true);
    let digest = String::from_utf8(digest.stdout).unwrap().trim().to_string();
    assert!(digest.starts_with("sha256:") && digest.len() == 71, "{digest}");
    let db = loaded(&read(&live_before())).await;
    let from_url = schemareg_in(
        PREFIX,
        &["snapshot", &db.url(), "--preset", "supabase", "--digest"],
        false,
    );
    assert_eq!(
        String::from_utf8_lossy(&from_url.stdout).trim(),
        digest,
        "{}",
        stderr(&from_url)
    );
    let (_dir, json) = temp_file("snap.json", &String::from_utf8(ok.stdout).unwrap());
    let from_json = schemareg_in(PREFIX, &["snapshot", &json, "--digest"], true);
    assert_eq!(String::from_utf8(from_json.stdout).unwrap().trim(), digest);

    // Bad input: each is exit code 2 with a message that says what and where.
    let (_d1, bad_type) = temp_file(
        "bad_type.sql",
        "CREATE TABLE ok (a int);\nCREATE TABLE bad (\n  a intt\n);\n",
    );
    let (_d2, dup) = temp_file("dup.sql", "CREATE TABLE a (x int);\n\nCREATE TABLE a (y int);\n");
    let (_d3, syntax) = temp_file("syntax.sql", "CREATE TABLE t (a int);\nCREATE TABLE (;\n");
    let (_d4, unclosed) = temp_file("unclosed.sql", "CREATE TABLE t (a text DEFAULT 'oops);\n");
    let (_d5, not_snapshot) = temp_file("other.json", "{\"hello\": 1}");
    let (_d6, future) = temp_file("future.json", "{\"format\": 99, \"tables\": []}");
    let (_d7, not_json) = temp_file("broken.json", "{\"format\": 1,");
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec![&bad_type],
            vec![
                "bad_type.sql:3:5",
                "type \"intt\" does not exist",
                "CREATE TABLE bad ( a intt )",
            ],
        ),
        (
            vec![&dup],
            vec!["dup.sql:3:1", "relation \"a\" already exists", "CREATE TABLE a (y int)"],
        ),
        (vec![&syntax], vec!["syntax.sql:2:14", "syntax error at or near \"(\""]),
        (
            vec![&unclosed],
            vec!["unclosed.sql:1:32", "quoted string", "never closed"],
        ),
        (vec![&not_snapshot], vec!["other.json", "not a schemareg snapshot"]),
        (vec![&future], vec!["future.json", "format 99", "upgrade"]),
        (vec![&not_json], vec!["broken.json", "not valid JSON"]),
        (
            vec!["postgres://postgres:hunter2@127.0.0.1:1/nowhere"],
            vec!["cannot connect", "127.0.0.1:1"],
        ),
        (
            vec!["/nonexistent/schema.sql"],
            vec!["cannot read /nonexistent/schema.sql"],
        ),
        (vec!["schema.txt"], vec!["cannot tell what", ".sql file"]),
        (vec![&live, "--scope", "-"], vec!["invalid scope pattern"]),
        (vec![&live, "--preset", "firebase"], vec!["unknown preset", "supabase"]),
    ];
    for (args, expected) in cases {
        let mut all = vec!["snapshot"];
        all.extend(args.iter().copied());
        let out = schemareg_in(PREFIX, &all, true);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        for e in expected {
            assert!(err.contains(e), "{args:?}: expected {e:?} in: {err}");
        }
        assert!(!err.contains("hunter2"), "a password was shown: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: not one paragraph: {err}");
    }
    // Nothing left behind by all of that (this binary's tests run alone).
    assert_eq!(databases_like(PREFIX).await, Vec::<String>::new());
}

/// A command whose stdout's reader has gone (`| head` that has read enough, a terminal gone)
/// says so and exits 2, as for any error, instead of panicking (exit 101).
#[test]
fn a_closed_stdout_is_an_error_not_a_panic() {
    for args in [&["openapi"][..], &["token", "--subject", "ci", "--role", "reader"][..]] {
        let data = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_schemareg"))
            .args(args)
            .env("SCHEMAREG_DATA_DIR", data.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes before the command has started: what it writes meets a closed pipe.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {said}");
        assert!(said.contains("cannot write the output to stdout"), "{args:?}: {said}");
        assert!(!said.contains("panicked"), "{args:?}: {said}");
    }
}
