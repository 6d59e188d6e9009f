//! Helpers shared by the registry's end-to-end tests (the fixtures and database helpers of
//! every crate's tests are in `schemareg_adapters::testing::fixtures`).
#![allow(dead_code)]

pub use schemareg_adapters::testing::fixtures::*;

use std::process::{Command, Output};

/// Runs the schemareg binary; with `scratch`, the test server is its scratch server, else it
/// has none (and starts a private cluster when it needs one).
pub fn schemareg(args: &[&str], scratch: bool) -> Output {
    schemareg_in(schemareg_adapters::scratch::DEFAULT_PREFIX, args, scratch)
}

/// As [`schemareg`], naming its scratch databases `<prefix>…` (so that a test can look for
/// what its own runs left, whatever other tests run beside it).
pub fn schemareg_in(prefix: &str, args: &[&str], scratch: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemareg"));
    cmd.args(args)
        .env_remove("SCHEMAREG_SCRATCH_URL")
        .env("SCHEMAREG_SCRATCH_PREFIX", prefix);
    if scratch {
        cmd.env("SCHEMAREG_SCRATCH_URL", schemareg_adapters::testing::server_url());
    }
    cmd.output().expect("run schemareg")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Waits until something listens on 127.0.0.1:`port` (a `schemareg serve` just started).
pub async fn wait_for_port(port: u16) -> bool {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
