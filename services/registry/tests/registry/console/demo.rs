//! `schemareg serve --demo` (what `make demo` runs), as a newcomer meets it: no database of
//! theirs, no scratch server configured (its own private cluster, so it works with the
//! machine's PostgreSQL stopped); it prints the console's address and a token per role, and the
//! printed approver signs in, finds the LOG-158 staging plan waiting and approves it. When it
//! stops, nothing of the demo is left in the data directory.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::browser::*;
use crate::common::*;

/// The demo registry, stopped (SIGINT, as Ctrl-C) when dropped.
struct Demo {
    child: Child,
    /// What it printed up to the end of its instructions.
    printed: String,
}

impl Demo {
    fn start(dir: &std::path::Path, port: u16) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemareg"));
        // Nothing of the test environment: a machine with nothing configured.
        for (k, _) in std::env::vars() {
            if k.starts_with("SCHEMAREG_") || k.starts_with("PG") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd
            .args(["serve", "--demo"])
            .current_dir(dir)
            .env("SCHEMAREG_LISTEN", format!("127.0.0.1:{port}"))
            .env("SCHEMAREG_DRIFT_WATCH", "false")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (lines, read) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        // Its stderr is read to the end, also once the lines are no longer wanted: a pipe
        // closed early makes the demo's next message at shutdown fail (exit 101).
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let mut printed = String::new();
        let deadline = Instant::now() + Duration::from_secs(240);
        while !printed.contains("go away when the registry stops") {
            let left = deadline.saturating_duration_since(Instant::now());
            match read.recv_timeout(left) {
                Ok(line) => {
                    printed.push_str(&line);
                    printed.push('\n');
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("the demo did not finish preparing in 240 s; it printed:\n{printed}");
                }
            }
        }
        Self { child, printed }
    }

    /// The token printed for `who` (on the line after theirs).
    fn token(&self, who: &str) -> String {
        let mut lines = self.printed.lines();
        lines
            .find(|l| l.trim_start().starts_with(&format!("{who} (")))
            .and_then(|_| lines.next())
            .map(|l| l.trim().to_string())
            .unwrap_or_else(|| panic!("no token for {who} in:\n{}", self.printed))
    }

    /// Stops it as Ctrl-C does; its exit status.
    fn stop(&mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the demo did not stop in 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_prints_an_approver_who_approves_the_waiting_staging_plan() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut demo = tokio::task::block_in_place(|| Demo::start(dir.path(), port));
    let base = format!("http://127.0.0.1:{port}");
    assert!(
        demo.printed.contains(&format!("Open {base}/ui and sign in")),
        "{}",
        demo.printed
    );
    for who in [
        "alice (approver",
        "ci (publisher and deployer",
        "ada (admin",
        "rita (reader",
    ] {
        assert!(demo.printed.contains(who), "{who}: {}", demo.printed);
    }

    let driver = Driver::start().await;
    let browser = driver.browser().await;
    sign_in(&browser, &base, &demo.token("alice")).await;
    let overview = text(&browser).await;
    assert!(
        overview.contains("Signed in as alice") && overview.contains("log158"),
        "{overview}"
    );
    screenshot(&browser, "demo-overview").await;
    // dev verified with version 1, staging waiting: the overview links the waiting plan.
    click(&browser, "a[href^='/ui/plans/']").await;
    wait_for(&browser, "//h1[starts-with(., 'Plan ')]").await;
    let page = text(&browser).await;
    assert!(
        page.contains("for log158 in staging") && page.contains("pending approval"),
        "{page}"
    );
    assert!(page.contains("Requested by\nci at "), "{page}");
    click(&browser, "button[value=approve]").await;
    wait_for(&browser, "//dd[contains(., 'approved')]").await;
    let page = text(&browser).await;
    assert!(
        page.contains("✓ approved") && page.contains("alice (approver)"),
        "{page}"
    );
    screenshot(&browser, "demo-approved").await;
    browser.close().await.unwrap();

    let status = tokio::task::block_in_place(|| demo.stop());
    assert!(status.success(), "the demo stops cleanly on Ctrl-C: {status}");
    // Its store was temporary: the data directory holds keys, no store.
    let kept: Vec<String> = std::fs::read_dir(dir.path().join("data"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        kept.iter().all(|f| !f.contains(".db")),
        "the demo left a store in the data directory: {kept:?}"
    );
}
