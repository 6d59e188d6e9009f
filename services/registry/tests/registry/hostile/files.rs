//! The registry's files (issue 31, item 8): `store backup` and `store restore` followed a
//! dangling link and wrote where it pointed; the store, its WAL and backups were made 0644; a
//! development key others could read was used without a word; a failed restore left a file
//! at the store's path that was not a store. Files are made new (never through a link) for the
//! registry's user alone, a key others can read is refused (exit 2, saying why), and a failed
//! restore leaves nothing behind.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::served::Served;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// `schemareg store …` on a SQLite store: exit code and stderr.
fn store(args: &[&str], store: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_schemareg"))
        .arg("store")
        .args(args)
        .env("SCHEMAREG_STORE_URL", format!("sqlite://{}", store.display()))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test]
async fn store_files_are_the_registrys_alone_and_never_written_through_a_link() {
    let served = Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false")]).await;
    crate::served::shop(&served.base(), Some("CREATE TABLE items (id bigint PRIMARY KEY);"));
    let db = Path::new(served.store_url.trim_start_matches("sqlite://")).to_path_buf();
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let path = format!("{}{suffix}", db.display());
        assert_eq!(mode(Path::new(&path)), 0o600, "{path}");
    }

    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("store.backup");
    assert_eq!(store(&["backup", backup.to_str().unwrap()], &db).0, 0);
    assert_eq!(mode(&backup), 0o600, "a backup");

    // A dangling link where the backup or the restored store would go: refused, and nothing
    // is made where it points.
    let target = dir.path().join("where-the-link-points");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let (code, says) = store(&["backup", link.to_str().unwrap()], &db);
    assert_eq!(code, 2, "{says}");
    assert!(says.contains("exists"), "{says}");
    let (code, says) = store(&["restore", backup.to_str().unwrap()], &link);
    assert_eq!(code, 2, "{says}");
    assert!(!target.exists(), "written through the link");

    // A backup that is not a store: exit 2, and nothing left at the store's path.
    let garbage = dir.path().join("garbage.backup");
    std::fs::write(&garbage, "not a SQLite database, not a store").unwrap();
    let restored = dir.path().join("restored.db");
    let (code, says) = store(&["restore", garbage.to_str().unwrap()], &restored);
    assert_eq!(code, 2, "{says}");
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("restored"))
        .collect();
    assert!(left.is_empty(), "a failed restore left {left:?}");
    // A real one restores, for the registry's user alone.
    assert_eq!(store(&["restore", backup.to_str().unwrap()], &restored).0, 0);
    assert_eq!(mode(&restored), 0o600);
}

#[tokio::test]
async fn a_key_file_others_can_read_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for key in ["dev-jwt-secret", "secret.key"] {
        let path = dir.path().join(key);
        std::fs::write(&path, "c2NoZW1hcmVnLXRlc3Qtc2VjcmV0LWtleS0zMmJ5dGU=").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_schemareg"))
            .args(["token", "--subject", "me", "--role", "admin"])
            .env("SCHEMAREG_DATA_DIR", dir.path())
            .env_remove("SCHEMAREG_JWT_HS256_SECRET")
            .env_remove("SCHEMAREG_SECRET_KEY")
            .output()
            .unwrap();
        let says = String::from_utf8_lossy(&out.stderr);
        if key == "dev-jwt-secret" {
            assert_eq!(out.status.code(), Some(2), "{key}: {says}");
            assert!(
                says.contains("can be read by others") && says.contains("chmod 600"),
                "{says}"
            );
        }
        let mut serve = Command::new(env!("CARGO_BIN_EXE_schemareg"));
        serve
            .arg("serve")
            .env("SCHEMAREG_DATA_DIR", dir.path())
            .env("SCHEMAREG_LISTEN", format!("127.0.0.1:{}", crate::common::free_port()))
            .env(
                "SCHEMAREG_STORE_URL",
                format!("sqlite://{}/store.db", dir.path().display()),
            )
            .env("SCHEMAREG_SCRATCH_URL", schemareg_adapters::testing::server_url())
            .env_remove("SCHEMAREG_JWT_HS256_SECRET")
            .env_remove("SCHEMAREG_SECRET_KEY");
        let out = serve.output().unwrap();
        let says = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "serve with {key} 0644: {says}");
        assert!(says.contains(key) && says.contains("can be read by others"), "{says}");
        std::fs::remove_file(&path).unwrap();
    }
}
