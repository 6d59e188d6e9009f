//! Without a scratch server, schemareg starts a private cluster for the run, says so, and
//! leaves nothing behind.

use crate::common::*;

#[test]
fn without_a_scratch_server_a_private_cluster_is_started_and_stopped() {
    let live = live_before().display().to_string();
    let private = schemareg(&["snapshot", &live, "--digest"], false);
    assert_eq!(private.status.code(), Some(0), "{}", stderr(&private));
    assert!(
        stderr(&private).contains("starting a private PostgreSQL cluster"),
        "{}",
        stderr(&private)
    );
    let given = schemareg(&["snapshot", &live, "--digest"], true);
    assert_eq!(private.stdout, given.stdout);
    // Its directory is gone once the command has ended.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("schemareg-pg-"))
        .filter(|e| {
            e.metadata()
                .map(|m| m.modified().unwrap().elapsed().unwrap().as_secs() < 60)
                .unwrap_or(false)
        })
        .collect();
    assert!(left.is_empty(), "private cluster directories left: {left:?}");
}
