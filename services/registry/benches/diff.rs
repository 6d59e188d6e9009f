//! `make bench`: `schemareg diff URL URL` on two live databases of generated tables (10
//! columns, 2 indexes, 1 foreign key each; 1 % of the tables changed), next to migra (PyPI,
//! pinned, installed into `target/tools/bench-py` on first use) on the same databases in the
//! same run. Wall time of each whole command, median of 7, the two commands taking turns
//! after one untimed run of each: a shared machine slows down and speeds up over seconds, and
//! taking turns gives both the same machine (five of ours and then five of migra's measured
//! the two at different moments, and the ratio moved by a fifth between runs).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use schemareg_adapters::testing::TestDb;

mod common;
use common::ms;

/// migra and what it needs, pinned (SQLAlchemy 1.4: sqlbag predates 2.x).
const MIGRA: [&str; 5] = [
    "migra==3.0.1663481299",
    "schemainspect==3.1.1663587362",
    "sqlbag==0.1.1617247075",
    "sqlalchemy==1.4.54",
    "psycopg2-binary==2.9.13",
];

async fn loaded(tables: usize, changed: bool) -> TestDb {
    let db = TestDb::new().await;
    let client = db.client().await;
    let sql = common::tables(tables, changed);
    for chunk in sql.lines().collect::<Vec<_>>().chunks(3000) {
        client.batch_execute(&chunk.join("\n")).await.unwrap();
    }
    // Statistics, then the load's dirty pages written out: the commands are timed, not the
    // server's backlog from loading (or from the benches before).
    client.batch_execute("ANALYZE").await.unwrap();
    client.batch_execute("CHECKPOINT").await.unwrap();
    db
}

fn repo() -> PathBuf {
    std::env::current_dir().unwrap().join("../..")
}

fn migra() -> PathBuf {
    let venv = repo().join("target/tools/bench-py");
    let marker = venv.join("installed.txt");
    let wanted = MIGRA.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
        let ok = Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv)
            .status()
            .unwrap()
            .success()
            && Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .args(MIGRA)
                .status()
                .unwrap()
                .success();
        assert!(ok, "cannot install migra from PyPI");
        std::fs::write(&marker, wanted).unwrap();
    }
    venv.join("bin/migra")
}

/// A command to time (run again each time), and the exit codes it may end with.
struct Timed {
    command: Command,
    codes: &'static [i32],
}

impl Timed {
    fn new(program: &Path, args: [&str; 3], codes: &'static [i32]) -> Timed {
        let mut command = Command::new(program);
        command.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
        Timed { command, codes }
    }

    fn run(&mut self) -> Duration {
        let start = Instant::now();
        let out = self.command.output().unwrap();
        let took = start.elapsed();
        let code = out.status.code().unwrap_or(-1);
        assert!(
            self.codes.contains(&code),
            "exit {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        took
    }
}

/// The median wall time of each command, run in turns (one untimed turn first: the server's
/// caches and the files of both programs warm for both alike).
fn medians<const N: usize>(mut commands: [Timed; N]) -> [Duration; N] {
    const RUNS: usize = 7;
    for c in &mut commands {
        c.run();
    }
    let mut runs = [const { Vec::new() }; N];
    for _ in 0..RUNS {
        for (c, times) in commands.iter_mut().zip(&mut runs) {
            times.push(c.run());
        }
    }
    runs.map(|mut times| {
        times.sort();
        times[RUNS / 2]
    })
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let migra = migra();
    let schemareg = repo().join("target/release/schemareg");
    println!("live diff benchmark: two databases, 1 % of the tables changed; whole commands taking turns, median of 7");
    println!(
        "{:>7} | {:>16} | {:>10} | {:>12} | target",
        "tables", "schemareg diff", "migra", "migra/ours"
    );
    for tables in [1_000, 10_000] {
        // One after the other: two loads at once run out of the server's lock table.
        let from = loaded(tables, false).await;
        let to = loaded(tables, true).await;
        // migra's URLs name psycopg2's dialect of SQLAlchemy; exit 2: differences found.
        let url = |db: &TestDb| db.url().replacen("postgres://", "postgresql://", 1);
        let [ours, theirs] = medians([
            Timed::new(&schemareg, ["diff", &from.url(), &to.url()], &[1]),
            Timed::new(&migra, ["--unsafe", &url(&from), &url(&to)], &[2]),
        ]);
        let target = if tables == 1_000 { ">= 10x migra" } else { "< 2 s" };
        println!(
            "{tables:>7} | {:>16} | {:>10} | {:>11.1}x | {target}",
            ms(ours),
            ms(theirs),
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    }
}
