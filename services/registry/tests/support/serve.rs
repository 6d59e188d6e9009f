//! How the tests and the benches start the registry: `schemareg serve` on loopback, its SQLite
//! store and its data in a directory of the caller's, the test server as its scratch server,
//! and the caller's settings over those (an empty value unsets one). Shared by
//! `tests/registry/served` and `benches/common/server` (`#[path]`).

use std::path::Path;
use std::process::{Command, Stdio};

/// `binary serve` on 127.0.0.1:`port`, keeping its store and data in `dir` and its log
/// (warnings and errors) in `dir/serve.log`.
pub fn serve_command(binary: &Path, dir: &Path, port: u16, settings: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(binary);
    cmd.arg("serve")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("serve.log")).expect("create serve.log"));
    configure(&mut cmd, dir, port, settings);
    cmd
}

/// The settings of a registry kept in `dir` and listening on `port`, given to `cmd` (a
/// `serve`, or another command that reads the same configuration, such as `token`).
pub fn configure(cmd: &mut Command, dir: &Path, port: u16, settings: &[(&str, &str)]) {
    cmd.env_remove("SCHEMAREG_CONFIG")
        .env("SCHEMAREG_LISTEN", format!("127.0.0.1:{port}"))
        .env("SCHEMAREG_STORE_URL", format!("sqlite://{}/store.db", dir.display()))
        .env("SCHEMAREG_DATA_DIR", dir)
        .env("SCHEMAREG_SCRATCH_URL", schemareg_adapters::testing::server_url());
    for (k, v) in settings {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
}
