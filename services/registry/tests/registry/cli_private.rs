//! Without a scratch server, schemareg starts a private cluster for the run, says so, and
//! leaves nothing behind.

use crate::common::*;

#[test]
fn without_a_scratch_server_a_private_cluster_is_started_and_stopped() {
    // Its temporary directory of its own, so that what is left there is its own.
    let tmp = tempfile::tempdir().unwrap();
    let run = |scratch: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_schemareg"));
        cmd.args(["snapshot", &live_before().display().to_string(), "--digest"])
            .env_remove("SCHEMAREG_SCRATCH_URL")
            .env("TMPDIR", tmp.path());
        if scratch {
            cmd.env("SCHEMAREG_SCRATCH_URL", schemareg_adapters::testing::server_url());
        }
        cmd.output().expect("run schemareg")
    };
    let private = run(false);
    assert_eq!(private.status.code(), Some(0), "{}", stderr(&private));
    assert!(
        stderr(&private).contains("starting a private PostgreSQL cluster"),
        "{}",
        stderr(&private)
    );
    let given = run(true);
    assert_eq!(private.stdout, given.stdout);
    // Its directory (made in $TMPDIR, when it is set) is gone once the command has ended.
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert!(left.is_empty(), "left in its temporary directory: {left:?}");
}
