//! Files the registry writes that hold secrets or its store: made new, for its user alone.
//!
//! A path is never followed through a link when the registry makes a file (a dangling link at
//! a backup's path made `store backup` write wherever it pointed), files are made `0600`, and
//! a key file others can read is refused rather than used.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Makes a new file for the registry's user alone (`0600`): an error when anything is at the
/// path already, a link (even one that leads nowhere) included.
pub fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
}

/// Makes the file `0600` when it is missing (a store the database library then opens);
/// leaves an existing file as it is. A link at the path is refused.
pub fn ensure_private(path: &Path) -> io::Result<()> {
    match create_private(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
                return Err(io::Error::other(format!(
                    "{} is a link: give the store's own path",
                    path.display()
                )));
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Why a key file may not be used: others than its owner can read or write it.
pub fn check_private(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{} can be read by others (mode {mode:03o}): it holds a key; make it the registry's user's alone \
             (chmod 600 {}), or remove it to have a new one made",
            path.display(),
            path.display()
        ));
    }
    Ok(())
}

/// Removes a file the registry made when what it was made for failed (and whatever SQLite
/// made beside it), quietly.
pub fn remove_made(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal", ".lock"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(&p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_new_for_its_user_and_never_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let made = dir.path().join("made");
        create_private(&made).unwrap();
        assert_eq!(std::fs::metadata(&made).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(create_private(&made).is_err(), "made twice");
        let target = dir.path().join("elsewhere");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(create_private(&link).is_err(), "made through a dangling link");
        assert!(ensure_private(&link).is_err());
        assert!(!target.exists());
        std::fs::set_permissions(&made, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(check_private(&made).unwrap_err().contains("mode 644"));
    }
}
