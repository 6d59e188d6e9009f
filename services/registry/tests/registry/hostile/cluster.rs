//! The private cluster lets no other local user in (issue 31, item 3): `serve` without a
//! scratch server (and `make run`, `serve --demo`) started one on 127.0.0.1 with trust
//! authentication, so any local user was its superuser and could run programs as its OS user,
//! who owns the registry's keys. It now listens on a Unix socket only, in a folder only its OS
//! user may enter.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use crate::served::Served;

/// The socket folder of the postgres a process started (its child's command line).
fn socket_dir_of(parent: u32) -> (PathBuf, String) {
    for _ in 0..100 {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let ppid = stat.rsplit(") ").next().and_then(|s| s.split(' ').nth(1));
            if ppid != Some(&parent.to_string()) {
                continue;
            }
            let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .unwrap_or_default()
                .replace('\0', " ");
            if let Some(dir) = cmdline
                .split(' ')
                .find_map(|a| a.strip_prefix("unix_socket_directories="))
            {
                return (PathBuf::from(dir), cmdline);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("no postgres started by process {parent}");
}

fn psql(dir: &std::path::Path, as_user: Option<&str>) -> std::process::Output {
    let psql = schemareg_adapters::scratch::find_bindir().unwrap().join("psql");
    let mut cmd = match as_user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(&psql);
            c
        }
        None => Command::new(&psql),
    };
    cmd.args(["-X", "-w", "-h"])
        .arg(dir)
        .args(["-p", "5432", "-U", "postgres", "-d", "postgres", "-c", "SELECT 1"])
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_private_cluster_lets_no_other_local_user_in() {
    let served = Served::start(&[("SCHEMAREG_SCRATCH_URL", ""), ("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    let (dir, cmdline) = socket_dir_of(served.pid());
    assert!(cmdline.contains("listen_addresses= "), "it listens on TCP: {cmdline}");
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{} is open to others", dir.display());
    let socket = dir.join(".s.PGSQL.5432");
    let socket_mode = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(socket_mode, 0o700, "the socket is open to others");
    // The registry's own user gets in (the cluster works) ...
    let ours = psql(&dir, None);
    assert!(ours.status.success(), "{}", String::from_utf8_lossy(&ours.stderr));
    // ... another OS user does not (run as root, as CI is, the test can be one).
    if nix::unistd::Uid::effective().is_root() {
        let theirs = psql(&dir, Some("nobody"));
        let says = String::from_utf8_lossy(&theirs.stderr);
        assert!(
            !theirs.status.success(),
            "the user nobody got in: {}",
            String::from_utf8_lossy(&theirs.stdout)
        );
        assert!(says.contains("Permission denied"), "{says}");
    } else {
        eprintln!("not root: another OS user cannot be tried here; the folder's and socket's modes were checked");
    }
}
