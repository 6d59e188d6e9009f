//! A private PostgreSQL cluster started from the installed binaries.
//!
//! `initdb` refuses to run as root, so when we are root the cluster is made and run as the
//! `postgres` OS user. It lives in a temporary directory that only its OS user may enter
//! (`0700`; root, which the registry then is, enters any), listens on a Unix socket there
//! and on no TCP port, so trust authentication lets in the registry and no other local user
//! (who would be the cluster's superuser, and could run programs as its OS user). It is
//! stopped (and its directory removed) when dropped, and told to stop if this process dies
//! (parent-death signal).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::ScratchError;

/// A running private cluster.
pub struct PrivateCluster {
    dir: Option<tempfile::TempDir>,
    child: Option<Child>,
    port: u16,
}

impl std::fmt::Debug for PrivateCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.dir {
            Some(dir) => write!(f, "PrivateCluster({}/.s.PGSQL.{})", dir.path().display(), self.port),
            None => write!(f, "PrivateCluster(stopped)"),
        }
    }
}

/// The port its socket is named by (`.s.PGSQL.5432`): the directory is its own, so any port
/// will do, and no TCP port is taken.
const PORT: u16 = 5432;

/// Where the PostgreSQL server binaries are: `SCHEMAREG_PG_BINDIR`, else the newest
/// `/usr/lib/postgresql/*/bin`, else `pg_config --bindir`.
pub fn find_bindir() -> Result<PathBuf, ScratchError> {
    if let Ok(dir) = std::env::var("SCHEMAREG_PG_BINDIR") {
        return Ok(PathBuf::from(dir));
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    candidates.sort();
    if let Some((_, bin)) = candidates.pop() {
        return Ok(bin);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if bin.join("initdb").exists() {
            return Ok(bin);
        }
    }
    Err(ScratchError::NoBinaries)
}

/// The most a cluster may take of the memory file system before it goes to disk instead.
const IN_MEMORY_ROOM: u64 = 2 << 30;

/// Where a cluster's directory goes: `$TMPDIR` when it is set (the operator chose), else
/// `/dev/shm` when it has [`IN_MEMORY_ROOM`] free (scratch databases are made and dropped all
/// day, and a disk's file system spends more CPU finding inodes for their files, which ext4
/// keeps apart from recently deleted ones, than PostgreSQL spends on them), else `/tmp`.
fn parent_dir() -> PathBuf {
    if std::env::var_os("TMPDIR").is_some_and(|d| !d.is_empty()) {
        return std::env::temp_dir();
    }
    let shm = Path::new("/dev/shm");
    let room = nix::sys::statvfs::statvfs(shm)
        .map(|s| s.blocks_available().saturating_mul(s.fragment_size()))
        .unwrap_or(0);
    let writable = nix::unistd::access(shm, nix::unistd::AccessFlags::W_OK | nix::unistd::AccessFlags::X_OK).is_ok();
    if room >= IN_MEMORY_ROOM && writable {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

impl PrivateCluster {
    /// Creates and starts a cluster; returns once it accepts connections.
    pub fn start() -> Result<Self, ScratchError> {
        Self::start_with(&[])
    }

    /// [`PrivateCluster::start`] with server settings of the caller's (`("max_connections",
    /// "20")`: a small server, as tests of the registry's connection budget want), given after
    /// and so over the cluster's own.
    pub fn start_with(settings: &[(&str, &str)]) -> Result<Self, ScratchError> {
        let bindir = find_bindir()?;
        let dir = tempfile::Builder::new()
            .prefix("schemareg-pg-")
            .tempdir_in(parent_dir())
            .map_err(|e| ScratchError::Cluster(format!("cannot create a temporary directory: {e}")))?;
        let owner = run_as()?;
        // Only its OS user enters it (tempfile makes it so; said again, as the socket's safety
        // rests on it).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .map_err(|e| ScratchError::Cluster(format!("cannot make {} private: {e}", dir.path().display())))?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid.as_raw()), Some(gid.as_raw()))
                .map_err(|e| ScratchError::Cluster(format!("cannot hand {} to postgres: {e}", dir.path().display())))?;
        }
        let data = dir.path().join("data");
        let mut initdb = Command::new(bindir.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .stdin(Stdio::null());
        let out = as_owner(&mut initdb, owner)
            .output()
            .map_err(|e| ScratchError::Cluster(format!("cannot run initdb: {e}")))?;
        if !out.status.success() {
            return Err(ScratchError::Cluster(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let here = dir.path().to_path_buf();
        let child = spawn_postgres(&bindir, &data, &here, PORT, owner, settings)?;
        let mut cluster = Self {
            dir: Some(dir),
            child: Some(child),
            port: PORT,
        };
        cluster.wait_ready()?;
        Ok(cluster)
    }

    /// The directory of its socket.
    pub fn socket_dir(&self) -> Option<&Path> {
        self.dir.as_ref().map(|d| d.path())
    }

    /// `postgres://postgres@%2Ftmp%2Fschemareg-pg-…:5432/postgres`: its socket.
    pub fn url(&self) -> String {
        let dir = self.socket_dir().map(|d| d.display().to_string()).unwrap_or_default();
        format!(
            "postgres://postgres@{}:{}/postgres?sslmode=disable",
            crate::pg::percent_encoded(&dir),
            self.port
        )
    }

    fn wait_ready(&mut self) -> Result<(), ScratchError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let sock = self
            .dir
            .as_ref()
            .map(|d| d.path().join(format!(".s.PGSQL.{}", self.port)));
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(ScratchError::Cluster(format!(
                    "postgres exited at start ({status}): {}",
                    self.log_tail()
                )));
            }
            // The socket appears once the postmaster listens; it accepts connections once it
            // has started up (until then: "the database system is starting up"), which
            // pg_isready tells.
            if let Some(sock) = sock.as_deref()
                && sock.exists()
                && accepting(sock.parent().expect("a socket is in a folder"), self.port)
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(ScratchError::Cluster(format!(
                    "postgres did not start in 60 s: {}",
                    self.log_tail()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_tail(&self) -> String {
        let Some(dir) = &self.dir else { return String::new() };
        let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }

    /// Stops the server (fast shutdown) and removes its directory.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `postgres` user's ids when we are root (initdb and postgres refuse to run as root).
/// Whether the server on the socket in `dir` accepts connections (`pg_isready` exits 0).
fn accepting(dir: &Path, port: u16) -> bool {
    let Ok(bindir) = find_bindir() else { return true };
    Command::new(bindir.join("pg_isready"))
        .arg("-q")
        .arg("-h")
        .arg(dir)
        .args(["-p", &port.to_string(), "-t", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_or(true, |s| s.success())
}

fn run_as() -> Result<Option<(nix::unistd::Uid, nix::unistd::Gid)>, ScratchError> {
    if !nix::unistd::Uid::effective().is_root() {
        return Ok(None);
    }
    let user = nix::unistd::User::from_name("postgres")
        .map_err(|e| ScratchError::Cluster(format!("cannot look up the postgres user: {e}")))?
        .ok_or_else(|| {
            ScratchError::Cluster(
                "running as root and there is no `postgres` OS user to run the private cluster as; \
                 create one or give --scratch-url"
                    .into(),
            )
        })?;
    Ok(Some((user.uid, user.gid)))
}

fn as_owner(cmd: &mut Command, owner: Option<(nix::unistd::Uid, nix::unistd::Gid)>) -> &mut Command {
    if let Some((uid, gid)) = owner {
        cmd.uid(uid.as_raw()).gid(gid.as_raw()).env("HOME", "/tmp");
    }
    cmd.env_remove("PGDATA")
}

/// Starts postgres on a cluster's data directory, logging to `server.log` in `dir`.
fn spawn_postgres(
    bindir: &Path,
    data: &Path,
    dir: &Path,
    port: u16,
    owner: Option<(nix::unistd::Uid, nix::unistd::Gid)>,
    settings: &[(&str, &str)],
) -> Result<std::process::Child, ScratchError> {
    let log = std::fs::File::create(dir.join("server.log"))
        .map_err(|e| ScratchError::Cluster(format!("cannot create the server log: {e}")))?;
    if let Some((uid, gid)) = owner {
        let _ = std::os::unix::fs::chown(dir.join("server.log"), Some(uid.as_raw()), Some(gid.as_raw()));
    }
    let mut postgres = Command::new(bindir.join("postgres"));
    postgres
        .arg("-D")
        .arg(data)
        // The socket alone, for its OS user alone: no TCP port.
        .args(["-p", &port.to_string(), "-c", "listen_addresses="])
        .arg("-c")
        .arg(format!("unix_socket_directories={}", dir.display()))
        .args(["-c", "unix_socket_permissions=0700"])
        .args([
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ])
        .args(["-c", "max_connections=200"])
        .args(
            settings
                .iter()
                .flat_map(|(k, v)| ["-c".to_string(), format!("{k}={v}")]),
        )
        // Its own process group: Ctrl-C in a terminal reaches the registry, which stops the
        // cluster after dropping what it holds there, not both at once.
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    as_owner(&mut postgres, owner);
    // SAFETY: prctl is async-signal-safe; it only sets this child's parent-death signal.
    unsafe {
        postgres.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGINT).map_err(std::io::Error::from)
        });
    }
    postgres
        .spawn()
        .map_err(|e| ScratchError::Cluster(format!("cannot start postgres: {e}")))
}
